import type { SmsPacingSender } from './sender-key.js';

/** One slot request to a pacing store. */
export interface SmsPacingRequest {
  sender: SmsPacingSender;
  segments: number;
  segmentsPerSecond: number;
  /** The longest acceptable wait before the slot starts. */
  maxWaitMs: number;
  /** Delivery jitter the slots absorb (see `SmsPacingOptions.jitterToleranceMs`); default 0. */
  jitterToleranceMs?: number;
}

/** A store's answer: accepted with the wait until its slot (and a way to give it back), or refused. */
export type SmsPacingReservation =
  | {
      accepted: true;
      /** How long until the slot starts (0 when it starts now). */
      waitMs: number;
      /** Start and end of the slot, in ms on the store's clock (Redis: the server's time). */
      slotAt: number;
      endsAt: number;
      /** Gives the slot back when the message is not sent (only the latest slot of a sender can be). */
      release(): Promise<void>;
    }
  | { accepted: false; waitMs: number };

/** One sender's pacing state: its queue delay (how long a message reserved now would wait) and its rate. */
export interface SmsPacingState {
  key: string;
  kind: SmsPacingSender['kind'];
  segmentsPerSecond: number;
  queueDelayMs: number;
}

/** Where slots are kept: in memory (one process) or in Redis (shared). */
export interface SmsPacingStore {
  /** Reserves the next slot for a message, or refuses it when it would wait longer than `maxWaitMs`. */
  reserve(request: SmsPacingRequest): Promise<SmsPacingReservation>;
  /** The senders this store has paced, with their current queue delay. */
  snapshot(): Promise<SmsPacingState[]>;
}
