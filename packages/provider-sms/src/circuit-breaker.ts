import { checkDurationMs } from './duration.js';
import { isSmsError, SmsError, type SmsErrorCode } from './errors.js';
import type { SmsProvider } from './types.js';

/** 'closed': calls go through. 'open': calls fail fast. 'half-open': one probe call goes through. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of a circuit breaker (one per provider instance). */
export interface CircuitBreakerOptions {
  /** Consecutive provider_unavailable / network / timeout failures that open the circuit; default 5. */
  failureThreshold?: number;
  /** How long an open circuit fails fast before it lets one probe through; default 30 000 ms. */
  cooldownMs?: number;
}

/** Default failure threshold and cool-down. */
export const DEFAULT_CIRCUIT_BREAKER: Required<CircuitBreakerOptions> = {
  failureThreshold: 5,
  cooldownMs: 30_000,
};

const TRIPPING_CODES: ReadonlySet<SmsErrorCode> = new Set(['provider_unavailable', 'network', 'timeout']);

/** How an attempt's result counts for the breaker: 'success' closes, 'failure' counts, 'neutral' neither (e.g. aborted, local check). */
export type CircuitVerdict = 'success' | 'failure' | 'neutral';

/** Classifies a provider call's error: tripping codes are failures, any other answer from the provider (an HTTP status) is a success. */
export function circuitVerdict(err: unknown): CircuitVerdict {
  if (!isSmsError(err)) return 'neutral';
  if (TRIPPING_CODES.has(err.code)) return 'failure';
  // The provider answered (4xx, a JSON error, a 429): it is up. Local checks and aborts say nothing about it.
  return err.httpStatus !== undefined ? 'success' : 'neutral';
}

/** What `tryAcquire()` hands out for one call; give it back to `record()` with the call's verdict. */
export interface CircuitPermit {
  /** True for the single half-open probe. */
  readonly probe: boolean;
  /** The breaker's generation when the call was let through. */
  readonly generation: number;
}

/** The cool-down of `options`, checked (0 to 2^31 − 1 ms), or `SmsError('invalid_config')` naming it. */
function checkedCooldownMs(options: CircuitBreakerOptions): number {
  return checkDurationMs(options.cooldownMs ?? DEFAULT_CIRCUIT_BREAKER.cooldownMs, {
    option: 'circuitBreaker.cooldownMs',
  });
}

/**
 * A consecutive-failure circuit breaker with a cool-down and a single half-open probe.
 *
 * Results count only in the generation their call started in (the generation is bumped on every state change and
 * every probe granted): a call let through while closed counts towards (or resets) that closed period's failure
 * count; the probe alone decides half-open (success → closed, failure → open for a full cool-down, neutral → the
 * slot is free again). A call that ends after the circuit changed state describes the provider before a newer
 * verdict, so its result is ignored: it neither frees the probe slot, nor closes, opens or re-counts anything.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;
  #generation = 0;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #onChange: ((from: CircuitState, to: CircuitState) => void) | undefined;

  constructor(
    options: CircuitBreakerOptions = {},
    now: () => number = Date.now,
    onChange?: (from: CircuitState, to: CircuitState) => void,
  ) {
    this.#threshold = Math.max(
      1,
      Math.floor(options.failureThreshold ?? DEFAULT_CIRCUIT_BREAKER.failureThreshold),
    );
    this.#cooldownMs = checkedCooldownMs(options);
    this.#now = now;
    this.#onChange = onChange;
  }

  /** The current state (an open circuit whose cool-down has passed still reads 'open' until a call probes it). */
  get state(): CircuitState {
    return this.#state;
  }

  /** Consecutive tripping failures counted so far. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Milliseconds until an open circuit lets a probe through (0 when not open). */
  remainingCooldownMs(): number {
    if (this.#state !== 'open') return 0;
    return Math.max(0, this.#openedAt + this.#cooldownMs - this.#now());
  }

  /** Asks to make a call: a permit lets it through (the probe when half-open); undefined means fail fast. */
  tryAcquire(): CircuitPermit | undefined {
    if (this.#state === 'closed') return { probe: false, generation: this.#generation };
    if (this.#state === 'open') {
      if (this.#now() < this.#openedAt + this.#cooldownMs) return undefined;
      this.#transition('half-open');
    }
    if (this.#probeInFlight) return undefined;
    this.#probeInFlight = true;
    return { probe: true, generation: ++this.#generation };
  }

  /** Reports the verdict of a call `tryAcquire()` let through; a permit from an older generation is ignored. */
  record(permit: CircuitPermit, verdict: CircuitVerdict): void {
    if (permit.generation !== this.#generation) return;
    if (permit.probe) {
      if (this.#state !== 'half-open' || !this.#probeInFlight) return;
      this.#probeInFlight = false;
      if (verdict === 'success') {
        this.#failures = 0;
        this.#transition('closed');
      } else if (verdict === 'failure') {
        this.#failures++;
        this.#open();
      }
      return;
    }
    // Same generation and not a probe: the circuit is still in the closed period the call started in.
    if (verdict === 'success') this.#failures = 0;
    else if (verdict === 'failure' && ++this.#failures >= this.#threshold) this.#open();
  }

  /** The error a call gets while the circuit is open: provider_unavailable, certainly not sent (the provider was not called). */
  openError(provider: SmsProvider): SmsError {
    return new SmsError({
      code: 'provider_unavailable',
      provider: provider.name,
      outcome: 'not_sent',
      retryable: true,
      message: `The ${provider.name} circuit is ${this.#state} after ${this.#failures} consecutive failures; the provider was not called`,
    });
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#transition('open');
  }

  #transition(to: CircuitState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#generation++;
    if (to === 'closed') this.#probeInFlight = false;
    this.#onChange?.(from, to);
  }
}

/** Circuit breakers keyed by provider instance (a WeakMap: dropped providers take their breaker with them). */
export interface CircuitBreakerRegistry {
  /** The breaker of one provider instance, created on first use. */
  get(provider: SmsProvider): CircuitBreaker;
}

/** Creates a registry of per-provider-instance circuit breakers sharing options, clock and state-change hook. */
export function createCircuitBreakerRegistry(
  options: CircuitBreakerOptions = {},
  now: () => number = Date.now,
  onChange?: (provider: SmsProvider, from: CircuitState, to: CircuitState) => void,
): CircuitBreakerRegistry {
  checkedCooldownMs(options); // a bad option fails at construction, not at the first send
  const breakers = new WeakMap<SmsProvider, CircuitBreaker>();
  return {
    get(provider) {
      let b = breakers.get(provider);
      if (!b) {
        b = new CircuitBreaker(
          options,
          now,
          onChange ? (from, to) => onChange(provider, from, to) : undefined,
        );
        breakers.set(provider, b);
      }
      return b;
    },
  };
}
