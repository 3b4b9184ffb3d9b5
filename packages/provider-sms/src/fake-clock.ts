// A fake SmsSenderClock for the sender's and the pacing tests (not part of the package's entries).
import type { SmsSenderClock } from './sender.js';

/** A fake clock whose timers fire (earliest first) when the event loop is otherwise idle. */
export class FakeClock implements SmsSenderClock {
  t = 1_700_000_000_000;
  #id = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  /** auto = false: timers only fire through `advance()`. */
  constructor(readonly auto = true) {}
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.#id;
    this.timers.set(id, { at: this.t + ms, fn });
    if (this.auto) setImmediate(() => this.#fireNext());
    return id;
  };
  clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number);
  };
  advance(ms: number) {
    this.t += ms;
    if (this.auto) return;
    for (const [id, timer] of [...this.timers].sort((x, y) => x[1].at - y[1].at)) {
      if (timer.at > this.t) break;
      this.timers.delete(id);
      timer.fn();
    }
  }
  #fireNext() {
    let next: [number, { at: number; fn: () => void }] | undefined;
    for (const e of this.timers) if (!next || e[1].at < next[1].at) next = e;
    if (!next) return;
    this.timers.delete(next[0]);
    this.t = Math.max(this.t, next[1].at);
    next[1].fn();
  }
}
