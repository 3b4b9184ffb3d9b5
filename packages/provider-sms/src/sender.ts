// The dispatch-facing call (docs/design.md §7): resolve the tenant's provider, send, retry only what was certainly not
// sent, optionally fail over to the platform default, and keep a circuit breaker per provider instance.
//
// Decisions where the design is silent (documented on the options below as well):
// - An attempt is one resolve or one provider call. Attempts that fail in `resolver.resolve()` (a store outage)
//   are recorded with `stage: 'resolve'` and NO `provider`; they count towards `maxAttempts` and are retried when
//   the error is retryable. A resolve failure never fails over: a store outage is not a reason to switch to the
//   platform default (docs/design.md §4).
// - Retry-After longer than `maxRetryAfterMs`: the sender gives up retrying that provider (it does not hammer it
//   with shorter waits); the error then fails over when failover is on, else it is thrown.
// - The backoff is `max(fullJitter, Retry-After)`: full jitter = random in [0, min(maxDelayMs, baseDelayMs·2^(n-1))].
// - An open circuit is not retried (it would fail fast again); it fails over when failover is on.
// - `deadlineMs` is a budget in milliseconds from the call of `send()`. A backoff that would end past it is not
//   started (the last error is thrown); a provider call still running when it passes is cancelled and reported
//   as `timeout` with the provider's outcome ('unknown' once the request left).
// - The failover send happens once, is not retried, and its error (if any) is the one thrown: it is the latest
//   and, when its outcome is 'unknown', the one the caller must see.

import { onAbort } from './abort-relay.js';
import {
  type CircuitBreakerOptions,
  type CircuitBreakerRegistry,
  type CircuitState,
  type CircuitVerdict,
  circuitVerdict,
  createCircuitBreakerRegistry,
} from './circuit-breaker.js';
import { checkDurationMs } from './duration.js';
import { isSmsError, type SmsAttempt, SmsError, type SmsErrorCode, type SmsOutcome } from './errors.js';
import { maskPhone } from './message.js';
import {
  createSendPacing,
  isPacingRefusal,
  type PacedSlot,
  type SendPacing,
  type SmsPacingOptions,
  type SmsSenderPacing,
} from './pacing/send-pacing.js';
import type {
  SmsFallbackReason,
  SmsProviderResolution,
  SmsProviderResolver,
  SmsProviderSource,
} from './resolver.js';
import { snapshotMessage } from './snapshot-message.js';
import { type SmsSpan, startSmsSpan } from './telemetry.js';
import { assertTenantId } from './tenant-id.js';
import type { Logger, SmsMessage, SmsProvider, SmsProviderName, SmsSendResult } from './types.js';

/** The part of the resolver (`createSmsProviderResolver`) the sender uses. */
export type SmsSenderResolver = Pick<SmsProviderResolver, 'resolve'>;

/** Retry policy of the sender. */
export interface SmsRetryOptions {
  /** Attempts in all, the first included (resolve failures count); default 3. */
  maxAttempts?: number;
  /** Backoff ceiling of the first retry; doubles each retry; default 200 ms. */
  baseDelayMs?: number;
  /** Upper bound of the backoff ceiling; default 5 000 ms. */
  maxDelayMs?: number;
  /** Longest Retry-After honoured (at most 2^31 − 1); a provider asking for longer is not retried (give up / fail over); default 30 000 ms. */
  maxRetryAfterMs?: number;
}

/** The default retry policy. */
export const DEFAULT_RETRY: Readonly<Required<SmsRetryOptions>> = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
});

/** 'off' (default), or 'platform-default': a tenant provider's not-sent failure is sent once through `platformDefault`. */
export type SmsFailoverMode = 'off' | 'platform-default';

/** Time source and timers of the sender (tests pass a fake one). */
export interface SmsSenderClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A structured event for `onEvent` and the logger; it never holds a secret or a message body. */
export interface SmsSenderEvent {
  type: 'resolve' | 'attempt' | 'retry' | 'failover' | 'circuit' | 'give_up' | 'pacing';
  tenantId: string;
  /** 1-based number of the attempt the event belongs to. */
  attempt: number;
  provider?: SmsProviderName;
  source?: SmsProviderSource;
  /** resolve events: the resolver's fallback reason; give_up events: why retrying stopped. */
  reason?:
    | SmsFallbackReason
    | 'circuit_open'
    | 'attempts_exhausted'
    | 'retry_after_too_long'
    | 'deadline'
    | 'sender_queue_full';
  stage?: 'resolve' | 'send';
  code?: SmsErrorCode;
  outcome?: SmsOutcome;
  /** Backoff before the next attempt (retry events). */
  delayMs?: number;
  retryAfterMs?: number;
  durationMs?: number;
  /** Circuit state after a change (circuit events). */
  state?: CircuitState;
  previousState?: CircuitState;
  /** Recipient, masked: +1415*****71. */
  to?: string;
  /** pacing events: the message waits for its slot (`delayMs`), or is refused (`retryAfterMs`). */
  pacing?: 'wait' | 'refused';
  /** pacing events: the paced sender (`twilio:<accountSid>:<from>`, `msg91:<key hash>`) and the message's segments. */
  sender?: string;
  segments?: number;
}

/** Options of `createSmsSender`. */
export interface SmsSenderOptions {
  resolver: SmsSenderResolver;
  /** Retry policy, or false for a single attempt; defaults in `DEFAULT_RETRY`. */
  retry?: SmsRetryOptions | false;
  /** Default 'off'. 'platform-default' requires `platformDefault`. */
  failover?: SmsFailoverMode;
  /** The platform default provider (normally the resolver's `platformDefault`); required for failover. */
  platformDefault?: SmsProvider;
  /** Per-provider-instance circuit breaker (default 5 failures, 30 s cool-down), or false to disable. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Receives every event; a throwing or rejecting hook never breaks a send. */
  onEvent?: (event: SmsSenderEvent) => void;
  logger?: Logger;
  /** Time source and timers; default the real ones. */
  clock?: SmsSenderClock;
  /** Random source in [0, 1) for the jitter; default Math.random. */
  random?: () => number;
  /** Per-sender pacing in segments per second (design §12); off unless given. */
  pacing?: SmsPacingOptions;
}

/** Per-send options. */
export interface SmsSenderSendOptions {
  /** Cancels the send: the backoff sleep and the HTTP request in flight. */
  signal?: AbortSignal;
  /** Time budget of the whole send (all attempts and backoffs), in ms from the call: 0 to 2^31 − 1, or Infinity (none). */
  deadlineMs?: number;
  /**
   * Called right before each provider call (after pacing): returns the attempt id to pass as
   * `SmsCallOptions.attemptId` (the dispatcher records the attempt here). If it throws, the provider is not
   * called and `send()` rethrows that error at once (no retry, no failover).
   */
  beforeCall?: (call: {
    provider: SmsProvider;
    attempt: number;
    failover: boolean;
  }) => Promise<string | undefined>;
}

/** What a successful `send()` resolves with. */
export interface SmsSenderResult {
  result: SmsSendResult;
  attempts: SmsAttempt[];
  /** The provider that sent it. */
  provider: SmsProviderName;
  /** 'platform-default' also after a failover. */
  source: SmsProviderSource;
  /** The resolver's reason for the platform default (not set for a failover). */
  reason?: SmsFallbackReason;
  failedOver: boolean;
  /** After a failover: the tenant provider and the error that triggered it. */
  failoverFrom?: { provider: SmsProviderName; code: SmsErrorCode };
}

/** The dispatch-facing sender. */
export interface SmsSender {
  /** Sends one message for a tenant; throws `SmsError` with `attempts` on failure. */
  send(tenantId: string, message: SmsMessage, options?: SmsSenderSendOptions): Promise<SmsSenderResult>;
  /** Pacing state (each sender's queue delay and rate); present when `pacing` is given. */
  readonly pacing?: SmsSenderPacing;
}

/** Codes that fail over (when the outcome is not_sent and the provider came from the tenant's config). */
export const FAILOVER_CODES: ReadonlySet<SmsErrorCode> = new Set<SmsErrorCode>([
  'network',
  'rate_limited',
  'sender_queue_full',
  'provider_unavailable',
  'authentication_failed',
]);

const realClock: SmsSenderClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The full-jitter backoff ceiling of retry number `retry` (1-based): min(maxDelayMs, baseDelayMs·2^(retry-1)). */
export function backoffCeilingMs(retry: number, policy: Required<SmsRetryOptions>): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, Math.min(retry - 1, 30)));
}

/** Sleeps `ms` on `clock`; rejects with the signal's reason on abort and clears its timer. */
export function abortableSleep(
  ms: number,
  signal: AbortSignal | undefined,
  clock: SmsSenderClock = realClock,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function invalidConfig(field: string, why: string): SmsError {
  return new SmsError({ code: 'invalid_config', message: `createSmsSender: ${field} ${why}` });
}

function resolveRetry(retry: SmsRetryOptions | false | undefined): Required<SmsRetryOptions> {
  if (retry === false) return { ...DEFAULT_RETRY, maxAttempts: 1 };
  const r = { ...DEFAULT_RETRY, ...(retry ?? {}) };
  if (typeof r.maxAttempts !== 'number' || !Number.isInteger(r.maxAttempts) || r.maxAttempts < 1)
    throw invalidConfig('retry.maxAttempts', 'must be an integer ≥ 1');
  // Every delay ends up in a timer: each is bounded by setTimeout's limit (a longer one would fire at once).
  for (const k of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    checkDurationMs(r[k], { option: `retry.${k}`, owner: 'createSmsSender' });
  }
  return r;
}

/** Copies an error and attaches the attempts, so a provider's (possibly shared) error object is never mutated. */
function withAttempts(err: SmsError, attempts: SmsAttempt[]): SmsError {
  return err.with({ attempts: attempts.map((a) => ({ ...a })) });
}

/** Anything a resolver or provider threw, as an SmsError (a foreign exception may have sent: outcome 'unknown'). */
function toSmsError(e: unknown, stage: 'resolve' | 'send', provider?: SmsProviderName): SmsError {
  if (isSmsError(e)) return e;
  return new SmsError({
    code: 'unknown',
    // A resolver sends nothing; a provider that threw something unexpected may have.
    outcome: stage === 'resolve' ? 'not_sent' : 'unknown',
    retryable: false,
    message: stage === 'resolve' ? 'The resolver failed unexpectedly' : 'The provider failed unexpectedly',
    ...(provider ? { provider } : {}),
    cause: e,
  });
}

type CallResult =
  | { ok: true; result: SmsSendResult }
  | { ok: false; error: SmsError; circuitOpen: boolean; paced?: true };

/** Creates the dispatch-facing sender: resolve → send with retries, circuit breaker and optional failover. */
export function createSmsSender(options: SmsSenderOptions): SmsSender {
  if (!options || typeof options !== 'object') throw invalidConfig('options', 'must be an object');
  const { resolver, onEvent, logger } = options;
  if (!resolver || typeof resolver.resolve !== 'function')
    throw invalidConfig('resolver', 'must have resolve()');
  const failover = options.failover ?? 'off';
  if (failover !== 'off' && failover !== 'platform-default') {
    throw invalidConfig('failover', "must be 'off' or 'platform-default'");
  }
  const platformDefault = options.platformDefault;
  if (platformDefault !== undefined && typeof platformDefault?.send !== 'function') {
    throw invalidConfig('platformDefault', 'must be an SmsProvider');
  }
  if (failover === 'platform-default' && !platformDefault) {
    throw invalidConfig('platformDefault', "is required when failover is 'platform-default'");
  }
  const policy = resolveRetry(options.retry);
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const breakers: CircuitBreakerRegistry | undefined =
    options.circuitBreaker === false
      ? undefined
      : createCircuitBreakerRegistry(options.circuitBreaker ?? {}, () => clock.now());
  const pacing: SendPacing | undefined =
    options.pacing === undefined ? undefined : createSendPacing(options.pacing, () => clock.now());

  const log = (ev: SmsSenderEvent) => {
    if (!logger) return;
    const failed = ev.code !== undefined;
    const level: keyof Logger =
      ev.type === 'failover' ||
      ev.type === 'give_up' ||
      (ev.type === 'circuit' && ev.state === 'open') ||
      ev.pacing === 'refused'
        ? 'warn'
        : ev.type === 'retry' || ev.type === 'circuit' || failed
          ? 'info'
          : 'debug';
    try {
      logger[level]({ ...ev }, `sms.${ev.type}`);
    } catch {
      /* a logger must not break a send */
    }
  };

  async function send(
    tenantId: string,
    message: SmsMessage,
    sendOptions: SmsSenderSendOptions = {},
  ): Promise<SmsSenderResult> {
    const { signal, deadlineMs, beforeCall } = sendOptions ?? {};
    if (deadlineMs !== undefined) {
      checkDurationMs(deadlineMs, {
        option: 'send options.deadlineMs',
        owner: 'createSmsSender',
        allowInfinity: true,
      });
    }
    let snapshot: SmsMessage;
    try {
      assertTenantId(tenantId);
      snapshot = snapshotMessage(message);
    } catch (e) {
      throw withAttempts(e as SmsError, []); // bad input: nothing resolved, nothing attempted
    }
    const startedAt = clock.now();
    const deadlineAt =
      deadlineMs !== undefined && Number.isFinite(deadlineMs) ? startedAt + deadlineMs : undefined;
    const attempts: SmsAttempt[] = [];
    const to = maskPhone(snapshot.to);
    let attemptNo = 0;
    let deadlineHit = false;

    // One internal signal: the caller's abort or the deadline cancel the resolve wait, the backoff and the request.
    const ctl = new AbortController();
    const offCallerAbort = signal ? onAbort(signal, () => ctl.abort(signal.reason)) : undefined;
    if (signal?.aborted) ctl.abort(signal.reason);
    let deadlineTimer: unknown;
    if (deadlineAt !== undefined && !ctl.signal.aborted) {
      deadlineTimer = clock.setTimeout(() => {
        deadlineHit = true;
        ctl.abort(new Error('deadline'));
      }, deadlineMs as number);
    }

    const span: SmsSpan = await startSmsSpan('sms.send', { 'sms.tenant_id': tenantId });

    const emit = (ev: Omit<SmsSenderEvent, 'tenantId' | 'to'>) => {
      const event: SmsSenderEvent = { ...ev, tenantId, ...(to !== undefined ? { to } : {}) };
      const attrs: Record<string, string | number | boolean> = {};
      for (const [k, v] of Object.entries(event)) {
        if ((typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && k !== 'tenantId')
          attrs[k] = v;
      }
      span.addEvent(`sms.${ev.type}`, attrs);
      if (onEvent) {
        try {
          const r = onEvent(event) as unknown;
          if (r && typeof (r as Promise<unknown>).then === 'function')
            (r as Promise<unknown>).then(undefined, () => {});
        } catch {
          try {
            logger?.warn({ tenantId, type: ev.type }, 'sms.onEvent hook threw; ignored');
          } catch {
            /* ignore */
          }
        }
      }
      log(event);
    };

    /** The error for a cancelled wait: 'aborted' for the caller's signal, 'timeout' for the deadline; nothing sent. */
    const stopError = (what: string): SmsError =>
      deadlineHit
        ? new SmsError({
            code: 'timeout',
            outcome: 'not_sent',
            retryable: false,
            message: `The send deadline of ${deadlineMs} ms passed ${what}`,
          })
        : new SmsError({
            code: 'aborted',
            outcome: 'not_sent',
            message: `The send was aborted by the caller ${what}`,
            cause: signal?.reason,
          });

    const raceStop = <T>(p: Promise<T>, what: string): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (ctl.signal.aborted) {
          p.then(undefined, () => {}); // never leave the loser unhandled
          reject(stopError(what));
          return;
        }
        const onStop = () => reject(stopError(what));
        ctl.signal.addEventListener('abort', onStop, { once: true });
        p.then(
          (v) => {
            ctl.signal.removeEventListener('abort', onStop);
            resolve(v);
          },
          (e) => {
            ctl.signal.removeEventListener('abort', onStop);
            reject(e);
          },
        );
      });

    const callProvider = async (
      provider: SmsProvider,
      source: SmsProviderSource,
      isFailover: boolean,
    ): Promise<CallResult> => {
      const breaker = breakers?.get(provider);
      const circuitChange = (before: CircuitState | undefined) => {
        if (!breaker || before === undefined || breaker.state === before) return;
        emit({
          type: 'circuit',
          attempt: attemptNo,
          provider: provider.name,
          source,
          state: breaker.state,
          previousState: before,
        });
      };
      const name = provider.name;
      // One attempt of this call: recorded on the result/error and reported as an 'attempt' event.
      const recordAttempt = (durationMs: number, error?: SmsError, circuitOpen = false, paced = false) => {
        const outcome = error ? { code: error.code, outcome: error.outcome } : {};
        const a: SmsAttempt = { stage: 'send', provider: name, ...outcome, durationMs };
        if (circuitOpen) a.circuitOpen = true;
        if (paced) a.paced = true;
        if (isFailover) a.failover = true;
        attempts.push(a);
        emit({
          type: 'attempt',
          attempt: attemptNo,
          stage: 'send',
          provider: name,
          source,
          ...outcome,
          durationMs,
        });
      };
      const before = breaker?.state;
      const permit = breaker?.tryAcquire();
      if (breaker && !permit) {
        const error = breaker.openError(provider);
        recordAttempt(0, error, true);
        return { ok: false, error, circuitOpen: true };
      }
      circuitChange(before); // open → half-open
      // Only this call's own verdict can change the state here (other calls report their own changes).
      const recordVerdict = (verdict: CircuitVerdict) => {
        if (!breaker || !permit) return;
        const previous = breaker.state;
        breaker.record(permit, verdict);
        circuitChange(previous);
      };
      let t0 = clock.now();
      let slot: PacedSlot | undefined;
      let called = false; // a failure before the call (pacing, its store) says nothing about the provider
      let hookFailed = false;
      try {
        if (ctl.signal.aborted) throw stopError('before the provider was called');
        slot = await pacing?.pace(provider, {
          tenantId,
          message: snapshot,
          startedAt,
          ...(deadlineAt !== undefined ? { deadlineAt } : {}),
          sleep: (ms) =>
            abortableSleep(ms, ctl.signal, clock).catch(() => {
              throw stopError('while waiting for a pacing slot');
            }),
          onPacing: ({ sender, ...ev }) =>
            emit({ type: 'pacing', attempt: attemptNo, provider: name, source, sender: sender.key, ...ev }),
        });
        let attemptId: string | undefined;
        if (beforeCall) {
          hookFailed = true;
          attemptId = await beforeCall({ provider, attempt: attemptNo, failover: isFailover });
          hookFailed = false;
        }
        t0 = clock.now();
        called = true;
        const result = await provider.send(
          snapshot,
          attemptId === undefined ? { signal: ctl.signal } : { signal: ctl.signal, attemptId },
        );
        const durationMs = clock.now() - t0;
        recordVerdict('success');
        recordAttempt(durationMs);
        return { ok: true, result };
      } catch (e) {
        const durationMs = clock.now() - t0;
        let error = toSmsError(e, 'send', name);
        recordVerdict(called ? circuitVerdict(error) : 'neutral');
        if (hookFailed) {
          await slot?.release(); // the provider was not called: free the slot, stop the send
          throw e;
        }
        if (slot && error.outcome === 'not_sent') await slot.release(); // nothing went out: free the slot
        if (isPacingRefusal(error)) {
          recordAttempt(0, error, false, true);
          return { ok: false, error, circuitOpen: false, paced: true };
        }
        if (deadlineHit && error.code === 'aborted') {
          error = new SmsError({
            code: 'timeout',
            outcome: error.outcome,
            retryable: false,
            provider: name,
            message: `The send deadline of ${deadlineMs} ms passed while ${name} was called${error.outcome === 'unknown' ? '; it may have been sent' : ''}`,
          });
        }
        recordAttempt(durationMs, error);
        return { ok: false, error, circuitOpen: false };
      }
    };

    let resolution: SmsProviderResolution | undefined;
    let lastError: SmsError | undefined;
    let lastCircuitOpen = false;
    let lastPaced = false;
    try {
      for (;;) {
        attemptNo++;
        if (!resolution) {
          const t0 = clock.now();
          try {
            const r = await raceStop(
              Promise.resolve().then(() => resolver.resolve(tenantId)),
              'while resolving the provider',
            );
            if (!r || typeof r !== 'object' || typeof r.provider?.send !== 'function') {
              throw new SmsError({
                code: 'unknown',
                outcome: 'not_sent',
                message: 'The resolver returned no provider',
              });
            }
            resolution = r;
            emit({
              type: 'resolve',
              attempt: attemptNo,
              provider: r.provider.name,
              source: r.source,
              ...(r.reason !== undefined ? { reason: r.reason } : {}),
              durationMs: clock.now() - t0,
            });
          } catch (e) {
            const error = toSmsError(e, 'resolve');
            const durationMs = clock.now() - t0;
            attempts.push({ stage: 'resolve', code: error.code, outcome: error.outcome, durationMs });
            emit({
              type: 'attempt',
              attempt: attemptNo,
              stage: 'resolve',
              code: error.code,
              outcome: error.outcome,
              durationMs,
            });
            lastError = error;
            lastCircuitOpen = false;
            lastPaced = false;
          }
        }
        if (resolution) {
          const r = await callProvider(resolution.provider, resolution.source, false);
          if (r.ok) {
            return {
              result: r.result,
              attempts,
              provider: resolution.provider.name,
              source: resolution.source,
              ...(resolution.reason !== undefined ? { reason: resolution.reason } : {}),
              failedOver: false,
            };
          }
          lastError = r.error;
          lastCircuitOpen = r.circuitOpen;
          lastPaced = r.paced === true;
        }

        const err = lastError as SmsError;
        const giveUp = (
          why:
            | 'circuit_open'
            | 'attempts_exhausted'
            | 'retry_after_too_long'
            | 'deadline'
            | 'sender_queue_full',
          extra: Partial<SmsSenderEvent> = {},
        ) => {
          emit({
            type: 'give_up',
            attempt: attemptNo,
            ...(err.provider ? { provider: err.provider } : {}),
            code: err.code,
            outcome: err.outcome,
            reason: why,
            ...extra,
          });
        };
        // Retry only what was certainly not sent and is transient.
        if (!err.retryable || err.outcome !== 'not_sent' || ctl.signal.aborted) break;
        if (lastCircuitOpen) {
          giveUp('circuit_open');
          break;
        }
        // Waiting out a refused slot would be queueing past the bound pacing refused it for: give up (or fail over).
        if (lastPaced) {
          giveUp('sender_queue_full');
          break;
        }
        if (attemptNo >= policy.maxAttempts) {
          if (policy.maxAttempts > 1) giveUp('attempts_exhausted');
          break;
        }
        let delayMs = Math.floor(random() * backoffCeilingMs(attemptNo, policy));
        if (err.retryAfterMs !== undefined) {
          if (err.retryAfterMs > policy.maxRetryAfterMs) {
            giveUp('retry_after_too_long', { retryAfterMs: err.retryAfterMs });
            break;
          }
          delayMs = Math.max(delayMs, Math.ceil(err.retryAfterMs));
        }
        if (deadlineAt !== undefined && clock.now() + delayMs >= deadlineAt) {
          giveUp('deadline', { delayMs });
          break;
        }
        emit({
          type: 'retry',
          attempt: attemptNo + 1,
          ...(err.provider ? { provider: err.provider } : {}),
          ...(resolution ? { source: resolution.source } : {}),
          code: err.code,
          outcome: err.outcome,
          delayMs,
          ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
        });
        try {
          await abortableSleep(delayMs, ctl.signal, clock);
        } catch {
          throw withAttempts(stopError(`during the backoff after ${err.code}`), attempts);
        }
      }

      let err = lastError as SmsError;
      if (
        failover === 'platform-default' &&
        platformDefault &&
        resolution?.source === 'tenant' &&
        resolution.provider !== platformDefault &&
        err.outcome === 'not_sent' &&
        FAILOVER_CODES.has(err.code) &&
        !ctl.signal.aborted
      ) {
        const from = { provider: resolution.provider.name, code: err.code };
        attemptNo++;
        emit({
          type: 'failover',
          attempt: attemptNo,
          provider: platformDefault.name,
          source: 'platform-default',
          code: err.code,
          outcome: err.outcome,
        });
        const r = await callProvider(platformDefault, 'platform-default', true);
        if (r.ok) {
          return {
            result: r.result,
            attempts,
            provider: platformDefault.name,
            source: 'platform-default',
            failedOver: true,
            failoverFrom: from,
          };
        }
        err = r.error;
      }
      throw withAttempts(err, attempts);
    } catch (e) {
      const error = isSmsError(e) ? e : withAttempts(toSmsError(e, 'send'), attempts);
      span.setAttribute('sms.error.code', error.code);
      span.setAttribute('sms.outcome', error.outcome);
      span.setError(error.code);
      throw error;
    } finally {
      if (deadlineTimer !== undefined) clock.clearTimeout(deadlineTimer);
      offCallerAbort?.();
      span.setAttribute('sms.attempts', attempts.length);
      if (resolution) span.setAttribute('sms.source', resolution.source);
      span.end();
    }
  }

  return pacing ? { send, pacing: { snapshot: () => pacing.snapshot() } } : { send };
}
