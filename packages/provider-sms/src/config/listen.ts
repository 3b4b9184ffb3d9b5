import { SmsError } from '../errors.js';
import type { Logger } from '../types.js';
import type { Queryable } from './database.js';
import { changeChannelFor } from './store.js';

/** What `listenForChanges` needs from the resolver. */
export interface InvalidatableResolver {
  invalidate(tenantId: string): void;
  clear?(): void;
}

/** Options of `listenForChanges`. */
export interface ListenForChangesOptions {
  /** The store's schema (default 'public'): non-public schemas use their own channel. */
  schema?: string;
  logger?: Logger;
}

/** A running LISTEN; `close()` stops it (the connection stays open: it is the caller's). */
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
    if (payload) resolver.invalidate(payload);
    else if (resolver.clear) resolver.clear();
  };

  if (isPglite(connection)) {
    // PGlite interpolates the name into LISTEN/UNLISTEN: quoted, it keeps the case and the ':'. (The function
    // listen() returns unlistens with the unquoted name, which fails for schema channels: use unlisten().)
    const quoted = `"${channel}"`;
    await connection.listen(quoted, onPayload);
    return {
      async close() {
        await connection.unlisten(quoted, onPayload);
      },
    };
  }

  if (isPgClient(connection) && typeof (connection as { totalCount?: unknown }).totalCount !== 'number') {
    const onNotification = (msg: { channel: string; payload?: string }) => {
      if (msg.channel === channel) onPayload(msg.payload);
    };
    // Notifications may have been missed while the connection was down: forget everything cached.
    const onLost = (err?: Error) => {
      options.logger?.warn(
        { channel, error: err?.message },
        'LISTEN connection lost; cleared the provider cache',
      );
      resolver.clear?.();
    };
    connection.on('notification', onNotification);
    connection.on('error', onLost);
    connection.on('end', onLost);
    const detach = () => {
      connection.removeListener('notification', onNotification);
      connection.removeListener('error', onLost);
      connection.removeListener('end', onLost);
    };
    try {
      // The channel comes from a validated schema name; quoted because it may contain ':'.
      await connection.query(`LISTEN "${channel}"`);
    } catch (err) {
      detach();
      throw err;
    }
    return {
      async close() {
        detach();
        await connection.query(`UNLISTEN "${channel}"`).catch(() => undefined);
      },
    };
  }

  throw new SmsError({
    code: 'invalid_config',
    message:
      'listenForChanges needs a dedicated pg.Client or a PGlite instance (LISTEN does not work through a pool)',
  });
}
