/** Background work an emulator started by itself (status callbacks, delivery reports), for `settled()`. */
export class PendingWork {
  readonly #pending = new Set<Promise<void>>();

  /** Tracks `p` until it settles (a rejection is swallowed: the work records its own failure). */
  track(p: Promise<unknown>): void {
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  /** Resolves when all tracked work, including work started meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
