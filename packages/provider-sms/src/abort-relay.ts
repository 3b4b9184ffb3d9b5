/**
 * One `abort` listener per caller signal, however many sends share it: a caller that passes one
 * `AbortSignal` to 50 concurrent sends must not trip Node's `MaxListenersExceededWarning` (10).
 */
const relays = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts (at most one listener on `signal` in total); returns the unsubscribe. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let subscribers = relays.get(signal);
  if (!subscribers) {
    const set = new Set<() => void>();
    subscribers = set;
    relays.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        relays.delete(signal);
        for (const subscriber of [...set]) subscriber();
      },
      { once: true },
    );
  }
  const subscribed = subscribers;
  const once = () => {
    subscribed.delete(once);
    fn();
  };
  subscribed.add(once);
  return () => {
    subscribed.delete(once);
  };
}
