import { setMaxListeners } from 'node:events';

/** The part of msw's `SetupServerApi` this needs. */
interface Listenable<O> {
  listen(options?: O): void;
}

/**
 * Starts an msw server without `MaxListenersExceededWarning`: msw 2.x adds one abort listener per intercepted
 * request to the signal of an `AbortController` it creates in `listen()` and aborts only in `close()`, so an
 * eleventh request warns. Only controllers created during this `listen()` call (msw's own) get no listener
 * limit; every other signal, ours included, keeps Node's limit.
 */
export function listenWithoutListenerWarning<O>(server: Listenable<O>, options?: O): void {
  const Original = globalThis.AbortController;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      setMaxListeners(0, this.signal); // 0 = no limit
    }
  };
  try {
    server.listen(options);
  } finally {
    globalThis.AbortController = Original;
  }
}
