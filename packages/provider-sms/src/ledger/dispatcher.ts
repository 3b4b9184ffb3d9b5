// createSmsDispatcher (docs/design.md §10): one notification id → at most one provider message, its fate in the ledger.

import { newAttemptId } from '../attempt-id.js';
import { checkDurationMs } from '../duration.js';
import { isSmsError, type SmsAttempt, SmsError, type SmsLedgerState } from '../errors.js';
import { countSegments, normalizeRecipient } from '../message.js';
import { pacingSenderOf } from '../pacing/sender-key.js';
import type { SmsProviderResolver } from '../resolver.js';
import type { SmsSender } from '../sender.js';
import { snapshotMessage } from '../snapshot-message.js';
import { assertTenantId } from '../tenant-id.js';
import type { Logger, SmsMessage, SmsProvider, SmsSendResult } from '../types.js';
import { ledgerStateForError } from './error-state.js';
import type { SmsLedger, SmsLedgerLease } from './ledger.js';
import { type LedgerRow, rowAttempts, storedSendResult } from './ledger-row.js';
import { assertNotificationId } from './notification-id.js';
import { createSmsReconciler, type SmsReconcileOutcome } from './reconciler.js';
import { msLeft, settledRowError, toStoredError } from './stored-error.js';

/** Options of `createSmsDispatcher`. */
export interface SmsDispatcherOptions {
  sender: Pick<SmsSender, 'send'>;
  ledger: SmsLedger;
  /** Used to reconcile unknown rows (§11) with the tenant's credentials; without it an unknown row stays unknown. */
  resolver?: Pick<SmsProviderResolver, 'resolve'>;
  /** Added to an attempt's start and the request timeout to make its settle deadline; default 120 000 ms. */
  settleMs?: number;
  /** The providers' request timeout (the part of the settle deadline spent waiting for the answer); default 10 000 ms. */
  requestTimeoutMs?: number;
  /** How long the dispatcher's own reconcile lookup holds a row (a process killed mid-lookup delays that row this long); default the reconciler's 60 000 ms. */
  reconcileLeaseMs?: number;
  /** Receives one event per dispatch outcome; a throwing hook is ignored. */
  onEvent?: (event: SmsDispatchEvent) => void;
  logger?: Logger;
}

/** What `dispatch()` is given. */
export interface SmsDispatchInput {
  tenantId: string;
  /** The caller's id of the notification: 1–200 characters, no control characters. */
  notificationId: string;
  message: SmsMessage;
}

/** What `dispatch()` resolves with. */
export interface SmsDispatchResult {
  state: 'accepted';
  result: SmsSendResult;
  /** This call's attempts (empty when deduplicated). */
  attempts: SmsAttempt[];
  /** True when this call made no provider request (the stored result). */
  deduplicated: boolean;
}

/** One dispatch's outcome, for `onEvent` (never the body or the full number). */
export interface SmsDispatchEvent {
  type: 'dispatch';
  tenantId: string;
  notificationId: string;
  state: SmsLedgerState;
  deduplicated?: boolean;
  code?: string;
}

/** The dispatcher. */
export interface SmsDispatcher {
  /** Sends a notification at most once; throws `SmsError` with `ledgerState` (and `retryAfterMs` when a later call may succeed). */
  dispatch(input: SmsDispatchInput, options?: { signal?: AbortSignal }): Promise<SmsDispatchResult>;
  /** Runs a reconciliation sweep (§11) over unknown rows and expired claims; `[]` without a resolver. */
  reconcile(options?: { limit?: number }): Promise<SmsReconcileOutcome[]>;
}

const invalid = (option: string, why: string) =>
  new SmsError({ code: 'invalid_config', message: `createSmsDispatcher: ${option} ${why}` });

/** The Twilio account SID and sender of a provider call, from its pacing key (`twilio:<sid>:<from>`). */
function callIdentity(provider: SmsProvider): { accountSid?: string; sender?: string } {
  const key = pacingSenderOf(provider)?.key;
  const m = key ? /^twilio:(AC[0-9a-fA-F]{32}):(.+)$/.exec(key) : null;
  return m ? { accountSid: m[1] as string, sender: m[2] as string } : {};
}

/** Creates the dispatcher over a sender and a ledger (options checked here). */
export function createSmsDispatcher(options: SmsDispatcherOptions): SmsDispatcher {
  if (!options || typeof options !== 'object') throw invalid('options', 'must be an object');
  const { sender, ledger, onEvent, logger } = options;
  if (!sender || typeof sender.send !== 'function') throw invalid('sender', 'must have send()');
  if (!ledger || typeof ledger.claim !== 'function') throw invalid('ledger', 'must be an SmsLedger');
  const owner = 'createSmsDispatcher';
  const settleMs = checkDurationMs(options.settleMs ?? 120_000, { option: 'settleMs', owner });
  const requestTimeoutMs = checkDurationMs(options.requestTimeoutMs ?? 10_000, {
    option: 'requestTimeoutMs',
    owner,
  });

  const reconcileLeaseMs =
    options.reconcileLeaseMs === undefined
      ? undefined
      : checkDurationMs(options.reconcileLeaseMs, { option: 'reconcileLeaseMs', owner, min: 1 });
  const reconciler =
    options.resolver === undefined
      ? undefined
      : createSmsReconciler({
          ledger,
          resolver: options.resolver,
          ...(reconcileLeaseMs === undefined ? {} : { leaseMs: reconcileLeaseMs }),
          ...(logger ? { logger } : {}),
        });

  const emit = (ev: Omit<SmsDispatchEvent, 'type'>) => {
    try {
      onEvent?.({ type: 'dispatch', ...ev });
    } catch {
      /* a hook must not break a dispatch */
    }
    try {
      logger?.[ev.state === 'accepted' ? 'debug' : 'info']({ ...ev }, 'sms.dispatch');
    } catch {
      /* ignore */
    }
  };

  /** The answer for a row this call did not claim (§10's table). */
  async function notClaimed(
    row: LedgerRow,
    input: SmsDispatchInput,
    again: (() => Promise<SmsDispatchResult>) | undefined,
  ): Promise<SmsDispatchResult> {
    const { tenantId, notificationId } = input;
    const now = row.db_now as Date;
    const base = { tenantId, notificationId };
    if (row.state === 'accepted') {
      emit({ ...base, state: 'accepted', deduplicated: true });
      const counted = row.result ? undefined : await countSegments(input.message.body);
      return {
        state: 'accepted' as const,
        result: storedSendResult(row, counted),
        attempts: [],
        deduplicated: true,
      };
    }
    if (row.state === 'claimed' && msLeft(row.lease_expires_at as Date, now) > 0) {
      emit({ ...base, state: 'claimed', code: 'in_progress' });
      throw new SmsError({
        code: 'in_progress',
        message: `Notification ${notificationId} is being sent by another worker`,
        ledgerState: 'claimed',
        retryAfterMs: msLeft(row.lease_expires_at as Date, now),
      });
    }
    // Unknown (or a dead worker's claim with an attempt): ask the provider first (§11), then claim again once.
    const mayReconcile = row.state === 'unknown' || rowAttempts(row).length > 0;
    if (reconciler && again && mayReconcile && (await reconciler.reconcileOne(tenantId, notificationId)))
      return again();
    const current = row.state === 'claimed' ? await ledger.expireToUnknown(tenantId, notificationId) : row;
    const error = settledRowError(current ?? row);
    emit({ ...base, state: error.ledgerState as SmsLedgerState, code: error.code });
    throw error;
  }

  async function dispatch(
    input: SmsDispatchInput,
    dispatchOptions: { signal?: AbortSignal } = {},
    reconciled = false,
  ): Promise<SmsDispatchResult> {
    if (!input || typeof input !== 'object') throw invalid('dispatch input', 'must be an object');
    const tenantId = assertTenantId(input.tenantId);
    const notificationId = assertNotificationId(input.notificationId);
    const message = snapshotMessage(input.message);
    const recipient = await normalizeRecipient(message.to);
    const signal = dispatchOptions?.signal;
    if (signal?.aborted)
      throw new SmsError({
        code: 'aborted',
        message: 'The dispatch was aborted before it claimed',
        cause: signal.reason,
      });

    let fp = ledger.fingerprint(recipient, message);
    const leaseId = newAttemptId();
    const claimInput = () => ({
      tenantId,
      notificationId,
      recipient,
      fingerprint: fp.value,
      fingerprintKeyId: fp.keyId,
      bodyFingerprint: ledger.fingerprint(recipient, { to: recipient, body: message.body }, fp.keyId).value,
      leaseId,
    });
    let { claimed, row } = await ledger.claim(claimInput());
    if (!claimed && row.fingerprint_key_id !== fp.keyId && typeof row.fingerprint_key_id === 'string') {
      fp = ledger.fingerprint(recipient, message, row.fingerprint_key_id); // a row from before a key rotation
      ({ claimed, row } = await ledger.claim(claimInput()));
    }
    if (!claimed && row.fingerprint !== fp.value) {
      emit({
        tenantId,
        notificationId,
        state: row.state as SmsLedgerState,
        code: 'idempotency_conflict',
      });
      throw new SmsError({
        code: 'idempotency_conflict',
        message: `Notification ${notificationId} was dispatched before with a different message; nothing sent`,
        ledgerState: row.state as SmsLedgerState,
      });
    }
    if (!claimed)
      return notClaimed(
        row,
        { tenantId, notificationId, message },
        reconciled ? undefined : () => dispatch(input, dispatchOptions, true),
      );
    return sendClaimed({ tenantId, notificationId, leaseId }, row, message, recipient, signal);
  }

  async function sendClaimed(
    lease: SmsLedgerLease,
    row: LedgerRow,
    message: SmsMessage,
    recipient: string,
    signal: AbortSignal | undefined,
  ): Promise<SmsDispatchResult> {
    const { tenantId, notificationId } = lease;
    // Validity is measured from the row's creation on the database clock, then on this process's clock.
    const age = (row.db_now as Date).getTime() - (row.created_at as Date).getTime();
    const validUntil =
      message.validityPeriodSec === undefined
        ? Infinity
        : Date.now() + message.validityPeriodSec * 1000 - age;
    const expired = () =>
      new SmsError({
        code: 'invalid_message',
        message: `Notification ${notificationId} is past its validity of ${message.validityPeriodSec} s; not sent`,
      });
    const renewal = setInterval(
      () => void ledger.renew(lease).catch(() => {}),
      Math.max(1, ledger.leaseMs / 3),
    );
    renewal.unref?.();
    let settleBy: Date | undefined;
    try {
      if (Date.now() > validUntil) throw expired();
      const out = await sender.send(tenantId, message, {
        ...(signal ? { signal } : {}),
        beforeCall: async ({ provider }) => {
          if (Date.now() > validUntil) throw expired();
          const id = newAttemptId();
          const startedAt = new Date();
          settleBy = new Date(startedAt.getTime() + requestTimeoutMs + settleMs);
          const attempt = { id, startedAt, settleBy, provider: provider.name, ...callIdentity(provider) };
          if (!(await ledger.recordAttempt(lease, attempt)))
            throw new SmsError({
              code: 'in_progress',
              retryable: false,
              message: `The claim on notification ${notificationId} was lost before the provider call; not sent`,
              ledgerState: 'claimed',
            });
          return id;
        },
      });
      // It was sent: a failed write cannot undo that (the row stays claimed with its attempt → unknown, never resent).
      const recorded = await ledger.accept(lease, out.result).catch(() => false);
      if (!recorded)
        logger?.warn(
          { tenantId, notificationId },
          'sms.dispatch: accepted, but the ledger could not record it',
        );
      emit({ tenantId, notificationId, state: 'accepted', deduplicated: false });
      return { state: 'accepted', result: out.result, attempts: out.attempts, deduplicated: false };
    } catch (e) {
      const error = isSmsError(e)
        ? e
        : new SmsError({ code: 'unknown', message: 'The send failed unexpectedly', cause: e });
      if (error.ledgerState === 'claimed') throw error; // the lease was lost: the row is not ours to write
      const state = ledgerStateForError(error);
      const written = await ledger.fail(lease, state, toStoredError(error, recipient)).then(
        () => true,
        () => false,
      );
      // Not written: the row stays claimed until its lease expires (then unknown if an attempt started).
      if (!written) throw error.with({ ledgerState: 'claimed', retryAfterMs: ledger.leaseMs });
      const settled =
        state === 'unknown'
          ? error.with({ ledgerState: state, outcome: 'unknown', retryAfterMs: msLeft(settleBy, new Date()) })
          : error.with({ ledgerState: state });
      emit({ tenantId, notificationId, state, code: error.code });
      throw settled;
    } finally {
      clearInterval(renewal);
    }
  }

  return {
    dispatch: (input, dispatchOptions) => dispatch(input, dispatchOptions),
    reconcile: async (o) => (reconciler ? reconciler.sweep(o) : []),
  };
}
