// What a ledger row holds and how it is read back: redacted (masked recipient, no body, no fingerprint).
import type { SmsErrorCode, SmsLedgerState, SmsOutcome } from '../errors.js';
import { maskPhone } from '../message.js';
import type { SmsEncoding, SmsProviderName, SmsSendResult, SmsStatus } from '../types.js';

/** One provider call of a notification, recorded before the call is made. */
export interface SmsLedgerAttempt {
  /** 128-bit random, base64url; passed to the provider as `SmsCallOptions.attemptId`. */
  id: string;
  startedAt: Date;
  /** start + request timeout + settleMs: before it, absence at the provider proves nothing (§11). */
  settleBy: Date;
  provider: SmsProviderName;
  /** Twilio account SID of the call (absent for MSG91). */
  accountSid?: string;
  /** Twilio From / Messaging Service SID (absent for MSG91). */
  sender?: string;
}

/** The stored error of a notification (its message has the recipient masked). */
export interface SmsLedgerError {
  code: SmsErrorCode;
  outcome: SmsOutcome;
  message: string;
  provider?: SmsProviderName;
  providerCode?: string | number;
  httpStatus?: number;
  messageId?: string;
}

/** The stored result of an accepted notification. */
export interface SmsLedgerResult {
  status: SmsStatus;
  segments: number;
  encoding: SmsEncoding;
}

/** A ledger row as `get` and `list` return it: the recipient masked, never the body. */
export interface SmsLedgerEntry {
  tenantId: string;
  channel: string;
  /** Null for a legacy dispatch-log row. */
  notificationId: string | null;
  state: SmsLedgerState;
  /** Masked, e.g. +1415*****71. */
  recipient?: string;
  provider: SmsProviderName | null;
  messageId: string | null;
  /** The latest provider status (monotonic), and when it was recorded. */
  status: string;
  statusAt?: Date;
  result?: SmsLedgerResult;
  error?: SmsLedgerError;
  attempts: SmsLedgerAttempt[];
  leaseOwner?: string;
  leaseExpiresAt?: Date;
  /** Why a row is unknown (set by reconciliation). */
  reason?: string;
  createdAt: Date;
  updatedAt?: Date;
}

/** The columns every read selects (`state` from `stateSql`); `db_now` is the database's clock (leases are measured on it). */
export const entryColumns = (
  stateSql = 'state',
): string => `tenant_id, channel, notification_id, ${stateSql} AS state,
  recipient, provider, message_id, status, status_at, result, error, attempts, lease_owner, lease_id, lease_expires_at,
  reason, created_at, updated_at, fingerprint, fingerprint_key_id, body_fingerprint, now() AS db_now`;

/** The columns of a ledger row as every read and RETURNING selects them. */
export const ENTRY_COLUMNS = entryColumns();

/** A driver row of the ledger (pg and PGlite both give jsonb parsed and timestamptz as Date). */
export type LedgerRow = Record<string, unknown>;

const date = (v: unknown): Date | undefined =>
  v === null || v === undefined ? undefined : v instanceof Date ? v : new Date(String(v));

const json = <T>(v: unknown): T | undefined =>
  v === null || v === undefined ? undefined : ((typeof v === 'string' ? JSON.parse(v) : v) as T);

/** The attempts of a row, dates revived. */
export function rowAttempts(r: LedgerRow): SmsLedgerAttempt[] {
  return (json<Array<Record<string, unknown>>>(r.attempts) ?? []).map((a) => ({
    ...(a as unknown as SmsLedgerAttempt),
    startedAt: new Date(String(a.startedAt)),
    settleBy: new Date(String(a.settleBy)),
  }));
}

/** A row as the redacted entry callers see. */
export function toLedgerEntry(r: LedgerRow): SmsLedgerEntry {
  const opt = <K extends keyof SmsLedgerEntry>(k: K, v: SmsLedgerEntry[K] | undefined) =>
    v === undefined ? {} : { [k]: v };
  return {
    tenantId: String(r.tenant_id),
    channel: String(r.channel),
    notificationId: (r.notification_id as string | null) ?? null,
    state: r.state as SmsLedgerState,
    ...opt('recipient', maskPhone(r.recipient ?? undefined)),
    provider: (r.provider as SmsProviderName | null) ?? null,
    messageId: (r.message_id as string | null) ?? null,
    status: String(r.status),
    ...opt('statusAt', date(r.status_at)),
    ...opt('result', json<SmsLedgerResult>(r.result)),
    ...opt('error', json<SmsLedgerError>(r.error)),
    attempts: rowAttempts(r),
    ...opt('leaseOwner', (r.lease_owner as string | null) ?? undefined),
    ...opt('leaseExpiresAt', date(r.lease_expires_at)),
    ...opt('reason', (r.reason as string | null) ?? undefined),
    createdAt: date(r.created_at) as Date,
    ...opt('updatedAt', date(r.updated_at)),
  };
}

/** The result a row stores, as the provider returned it; a row accepted by evidence alone (no stored result) uses `counted`. */
export function storedSendResult(r: LedgerRow, counted?: Omit<SmsLedgerResult, 'status'>): SmsSendResult {
  const res = json<SmsLedgerResult>(r.result);
  return {
    messageId: String(r.message_id),
    provider: r.provider as SmsProviderName,
    status: res?.status ?? (r.status as SmsStatus),
    segments: res?.segments ?? counted?.segments ?? 1,
    encoding: res?.encoding ?? counted?.encoding ?? 'GSM-7',
  };
}
