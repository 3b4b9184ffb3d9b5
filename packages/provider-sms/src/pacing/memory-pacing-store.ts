import { type GcraSlot, releaseSlot, reserveSlot, slotCostMs } from './gcra.js';
import type { SmsPacingStore } from './pacing-store.js';
import type { SmsPacingSender } from './sender-key.js';

interface SenderState {
  tat: number;
  sender: SmsPacingSender;
  segmentsPerSecond: number;
}

// Senders whose queue has drained carry no information (a fresh state is the same): drop them past this many.
const PRUNE_ABOVE = 1_000;

/** An in-process slot store on `now` (the sender's clock); idle senders are forgotten. */
export function createMemoryPacingStore(now: () => number = Date.now): SmsPacingStore {
  const states = new Map<string, SenderState>();
  let pruneAt = PRUNE_ABOVE;
  const prune = (t: number) => {
    for (const [key, s] of states) if (s.tat <= t) states.delete(key);
    pruneAt = Math.max(PRUNE_ABOVE, states.size * 2);
  };
  return {
    async reserve({ sender, segments, segmentsPerSecond, maxWaitMs, jitterToleranceMs }) {
      const t = now();
      if (states.size >= pruneAt) prune(t);
      const state = states.get(sender.key) ?? { tat: t, sender, segmentsPerSecond };
      state.segmentsPerSecond = segmentsPerSecond;
      const slot: GcraSlot = reserveSlot(
        state.tat,
        t,
        slotCostMs(segments, segmentsPerSecond, jitterToleranceMs),
        maxWaitMs,
      );
      if (!slot.accepted) return { accepted: false, waitMs: slot.slotAt - t };
      state.tat = slot.newTat;
      states.set(sender.key, state);
      return {
        accepted: true,
        waitMs: slot.slotAt - t,
        slotAt: slot.slotAt,
        endsAt: slot.newTat,
        release: async () => {
          const current = states.get(sender.key);
          if (current) current.tat = releaseSlot(current.tat, slot);
        },
      };
    },
    async snapshot() {
      const t = now();
      return [...states.values()].map((s) => ({
        key: s.sender.key,
        kind: s.sender.kind,
        segmentsPerSecond: s.segmentsPerSecond,
        queueDelayMs: Math.max(0, s.tat - t),
      }));
    },
  };
}
