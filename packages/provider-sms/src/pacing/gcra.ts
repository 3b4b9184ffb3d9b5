// GCRA (generic cell rate algorithm) without burst tolerance: each sender has a "theoretical arrival time" (tat),
// the moment its reserved traffic is done. A message of n segments at r segments/s reserves [max(now, tat),
// +n·1000/r) and moves tat to its end, so slots never overlap and any window of length w holds at most r·w
// segments (plus the one message that straddles its start). The Redis script (redis-pacer.ts) is this same rule.

/** A reservation the rule made: the slot starts at `slotAt` and ends at `newTat` (ms, the pacer's clock). */
export interface GcraSlot {
  accepted: boolean;
  slotAt: number;
  newTat: number;
}

/** Reserves the next slot of `costMs` after `tat`; refused (tat unchanged) when it would start more than `maxWaitMs` after `now`. */
export function reserveSlot(tat: number, now: number, costMs: number, maxWaitMs: number): GcraSlot {
  const slotAt = Math.max(now, tat);
  if (slotAt - now > maxWaitMs) return { accepted: false, slotAt, newTat: tat };
  return { accepted: true, slotAt, newTat: slotAt + costMs };
}

/** The tat after giving `slot` back: only the latest reservation can be (an earlier one would make later slots overlap). */
export function releaseSlot(tat: number, slot: GcraSlot): number {
  return slot.accepted && tat === slot.newTat ? slot.slotAt : tat;
}

/**
 * How long one message holds its sender: segments / (segments per second), widened by (1000 + jitterToleranceMs) / 1000
 * so arrivals delayed by up to that much still keep every 1 s window within the rate; ms, rounded up to a whole µs.
 */
export function slotCostMs(segments: number, segmentsPerSecond: number, jitterToleranceMs = 0): number {
  return Math.ceil((Math.max(1, segments) * (1000 + jitterToleranceMs) * 1000) / segmentsPerSecond) / 1000;
}
