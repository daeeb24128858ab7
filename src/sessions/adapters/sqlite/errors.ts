import { OmniError, StorageError, errorMessage } from '../../../core/errors.js';

/**
 * Runs one storage operation; domain errors (invalid ids, fencing, conflicts) pass through, anything
 * else the driver throws becomes a `StorageError` naming the operation (and the store, `source`).
 */
export function guarded<T>(operation: string, fn: () => T, source = 'sessions:sqlite'): T {
  try {
    return fn();
  } catch (err) {
    throw translate(operation, err, source);
  }
}

export function translate(operation: string, err: unknown, source = 'sessions:sqlite'): Error {
  if (err instanceof OmniError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
  return new StorageError(`[${source}] ${operation} failed: ${errorMessage(err)}`, {
    cause: err,
    code: busy ? 'storage_busy' : 'storage_error',
  });
}
