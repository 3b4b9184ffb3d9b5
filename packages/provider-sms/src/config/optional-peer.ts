import { SmsError } from '../errors.js';

/** The database drivers, optional peers of the package: installed by whoever uses them. */
export type OptionalPeer = 'pg' | '@electric-sql/pglite';

const isMissing = (err: unknown, name: string): boolean => {
  const e = err as { code?: unknown; message?: unknown };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(`'${name}'`)
  );
};

/**
 * Loads an optional peer on first use (`load` is the literal `import()`, so bundlers keep it external); when it
 * is not installed, throws `SmsError('invalid_config')` naming the package to install and what needs it.
 */
export async function importOptionalPeer<T>(
  name: OptionalPeer,
  neededFor: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (!isMissing(err, name)) throw err;
    throw new SmsError({
      code: 'invalid_config',
      message: `${neededFor} needs the "${name}" package: install it (npm i ${name})`,
    });
  }
}
