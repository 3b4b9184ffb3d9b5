import { redactSecrets, SmsError } from '../errors.js';
import type { Logger } from '../types.js';
import type { ListenConnection, Queryable } from './database.js';
import { toStoreError } from './driver-errors.js';
import { changeChannelFor } from './store.js';

/** What `listenForChanges` needs from the resolver. */
export interface InvalidatableResolver {
  invalidate(tenantId: string): void;
  /** Called when notifications may have been missed (lost connection); falls back to `clear` when absent. */
  expireAll?(): void;
  clear?(): void;
}

/** Options of `listenForChanges`. */
export interface ListenForChangesOptions {
  /** The store's schema (default 'public'): non-public schemas use their own channel. */
  schema?: string;
  logger?: Logger;
  /**
   * pg.Client only: opens a new dedicated connection once the current one is lost (e.g.
   * `() => database.openListenConnection()`), retried with backoff (1 s doubling to 30 s) until it LISTENs or
   * `close()` is called; the listener closes the connections it opened. Without it a lost connection stays lost
   * (the cache is expired and entries refresh on their next resolve): call `listenForChanges` again yourself.
   */
  reconnect?: () => Promise<ListenConnection>;
  /** @internal First reconnect delay (tests); default 1 000 ms. */
  reconnectDelayMs?: number;
}

/** A running LISTEN; `close()` stops it (the connection passed in stays open: it is the caller's). */
export interface ChangeListener {
  close(): Promise<void>;
}

interface PgliteLike extends Queryable {
  listen(channel: string, cb: (payload: string) => void): Promise<unknown>;
  unlisten(channel: string, cb?: (payload: string) => void): Promise<void>;
}

interface PgClientLike extends Queryable {
  on(event: 'notification', cb: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', cb: (err?: Error) => void): unknown;
  removeListener(event: string, cb: (...args: never[]) => void): unknown;
}

const isPglite = (c: Queryable): c is PgliteLike => typeof (c as Partial<PgliteLike>).listen === 'function';
const isPgClient = (c: Queryable): c is PgClientLike =>
  typeof (c as Partial<PgClientLike>).on === 'function' &&
  typeof (c as Partial<PgClientLike>).removeListener === 'function';
const isDedicatedPgClient = (c: Queryable): c is PgClientLike =>
  isPgClient(c) && typeof (c as { totalCount?: unknown }).totalCount !== 'number';

/**
 * LISTENs on a dedicated connection (a `pg.Client` or a PGlite instance; not a pool) and invalidates the
 * resolver's entry for each tenant the config service announces. An empty payload clears the whole cache.
 */
export async function listenForChanges(
  connection: Queryable,
  resolver: InvalidatableResolver,
  options: ListenForChangesOptions = {},
): Promise<ChangeListener> {
  const channel = changeChannelFor(options.schema);
  const onPayload = (payload: string | undefined) => {
    if (!payload) {
      resolver.clear?.();
      return;
    }
    try {
      resolver.invalidate(payload);
    } catch {
      /* not a tenant id (a foreign NOTIFY): no resolver entry can have it */
    }
  };

  if (isPglite(connection)) {
    // PGlite interpolates the name into LISTEN/UNLISTEN: quoted, it keeps the case and the ':'. (The function
    // listen() returns unlistens with the unquoted name, which fails for schema channels: use unlisten().)
    const quoted = `"${channel}"`;
    await connection.listen(quoted, onPayload).catch((err: unknown) => {
      throw toStoreError(err, 'listenForChanges');
    });
    return {
      async close() {
        await connection.unlisten(quoted, onPayload);
      },
    };
  }

  if (isDedicatedPgClient(connection)) {
    return listenOnPgClient(connection, channel, onPayload, resolver, options);
  }

  throw new SmsError({
    code: 'invalid_config',
    message:
      'listenForChanges needs a dedicated pg.Client or a PGlite instance (LISTEN does not work through a pool)',
  });
}

const MAX_RECONNECT_DELAY_MS = 30_000;

/** LISTEN on a pg.Client; on loss, expires the cache (stale entries stay servable) and reconnects when it can. */
async function listenOnPgClient(
  first: PgClientLike,
  channel: string,
  onPayload: (payload: string | undefined) => void,
  resolver: InvalidatableResolver,
  options: ListenForChangesOptions,
): Promise<ChangeListener> {
  const log = options.logger;
  const firstDelay = options.reconnectDelayMs ?? 1_000;
  // Notifications may have been missed: refresh every entry, but keep serving them while the database is down.
  const expire = () => (resolver.expireAll ? resolver.expireAll() : resolver.clear?.());
  const safe = (err: unknown) => redactSecrets(err instanceof Error ? err.message : String(err));

  let closed = false;
  let reconnecting = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: { conn: PgClientLike; owned: ListenConnection | undefined; detach(): void } | undefined;
  // Connections opened through `reconnect` are closed exactly once (pg's end() of an ended client may never settle).
  const released = new WeakSet<ListenConnection>();
  const release = (owned: ListenConnection | undefined): Promise<void> => {
    if (!owned || released.has(owned)) return Promise.resolve();
    released.add(owned);
    return owned.close().catch(() => undefined);
  };

  const attach = async (conn: PgClientLike, owned: ListenConnection | undefined) => {
    let lost = false;
    const onNotification = (msg: { channel: string; payload?: string }) => {
      if (msg.channel === channel && !lost) onPayload(msg.payload);
    };
    // 'error' and 'end' both fire for one loss: handled once. The listeners stay on the dead client, so a
    // late 'error' never goes unhandled.
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (current?.conn === conn) current = undefined;
      expire();
      log?.warn(
        { channel, error: err ? safe(err) : undefined, reconnect: Boolean(options.reconnect) && !closed },
        'LISTEN connection lost; expired the provider cache',
      );
      void release(owned);
      if (!closed) scheduleReconnect(firstDelay);
    };
    conn.on('notification', onNotification);
    conn.on('error', onLost);
    conn.on('end', onLost);
    const detach = () => {
      conn.removeListener('notification', onNotification);
      conn.removeListener('error', onLost);
      conn.removeListener('end', onLost);
    };
    try {
      // The channel comes from a validated schema name; quoted because it may contain ':'.
      await conn.query(`LISTEN "${channel}"`);
    } catch (err) {
      detach();
      throw err;
    }
    if (lost) throw new Error('the connection was lost while it started to LISTEN');
    current = { conn, owned, detach };
  };

  const scheduleReconnect = (delay: number) => {
    if (!options.reconnect || reconnecting || closed) return;
    reconnecting = true;
    timer = setTimeout(() => void attempt(delay), delay);
    timer.unref?.();
  };

  const attempt = async (delay: number) => {
    timer = undefined;
    let next: ListenConnection | undefined;
    try {
      next = await options.reconnect!();
      if (!isDedicatedPgClient(next.connection)) {
        throw new Error('reconnect must return a dedicated pg.Client connection');
      }
      if (closed) throw new Error('closed');
      await attach(next.connection, next);
      reconnecting = false;
      if (closed) {
        await stop();
        return;
      }
      expire(); // changes made while nothing listened were not announced to this replica
      log?.info({ channel }, 'LISTEN connection re-established');
    } catch (err) {
      reconnecting = false;
      if (next && current?.owned !== next) void release(next);
      if (closed) return;
      const retryInMs = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
      log?.warn({ channel, error: safe(err), retryInMs }, 'LISTEN reconnect failed; retrying');
      scheduleReconnect(retryInMs);
    }
  };

  const stop = async () => {
    const c = current;
    current = undefined;
    if (!c) return;
    c.detach();
    await c.conn.query(`UNLISTEN "${channel}"`).catch(() => undefined);
    await release(c.owned);
  };

  await attach(first, undefined).catch((err: unknown) => {
    throw toStoreError(err, 'listenForChanges');
  });
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await stop();
    },
  };
}
