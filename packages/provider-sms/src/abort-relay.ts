/**
 * One `abort` listener per caller signal, however many sends share it: a caller that passes one
 * `AbortSignal` to 50 concurrent sends must not trip Node's `MaxListenersExceededWarning` (10). The listener
 * is removed with its last subscriber, so a long-lived signal keeps none between sends.
 */
interface Relay {
  subscribers: Set<() => void>;
  listener: () => void;
}

const relays = new WeakMap<AbortSignal, Relay>();

/** Calls `fn` once when `signal` aborts (at most one listener on `signal` in total); returns the unsubscribe. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let relay = relays.get(signal);
  if (!relay) {
    const subscribers = new Set<() => void>();
    const listener = () => {
      relays.delete(signal);
      for (const subscriber of [...subscribers]) subscriber();
    };
    relay = { subscribers, listener };
    relays.set(signal, relay);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { subscribers, listener } = relay;
  const unsubscribe = () => {
    if (!subscribers.delete(once) || subscribers.size > 0) return;
    signal.removeEventListener('abort', listener);
    if (relays.get(signal)?.subscribers === subscribers) relays.delete(signal);
  };
  const once = () => {
    unsubscribe();
    fn();
  };
  subscribers.add(once);
  return unsubscribe;
}
