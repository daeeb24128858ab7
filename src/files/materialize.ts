import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StorageError } from '../core/errors.js';
import type { ConversationKey } from '../core/keys.js';
import { workspacePath } from './paths.js';
import type { FileStore, StoredFile } from './types.js';

/** Files fetched at once: enough to overlap round trips, few enough to bound open streams. */
const PARALLEL = 4;

/**
 * Brings the conversation's stored files into its workspace folder, where the agent was told they
 * are: every stored file missing there (another container received it, or this one was recycled)
 * is streamed in from the store. Files already in place with the right size are left alone, so a
 * warm container pays one listing; a file of the wrong size (a partial copy) is replaced. Each
 * fetch writes a temporary file of its own and renames it into place once complete and of the
 * stored size, so concurrent calls for the same conversation never mix their bytes. Returns the
 * conversation's files.
 */
export async function materializeFiles(
  store: FileStore,
  key: ConversationKey,
  dir: string,
): Promise<StoredFile[]> {
  const files = await store.list(key);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < files.length && !failure) {
      const file = files[next++] as StoredFile;
      await ensureLocal(store, file, dir).catch((error: unknown) => {
        failure ??= { error };
      });
    }
  };
  // Every fetch has finished (and cleaned up after itself) before this returns or throws.
  await Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker));
  if (failure) throw failure.error;
  return files;
}

async function ensureLocal(store: FileStore, file: StoredFile, dir: string): Promise<void> {
  const path = workspacePath(dir, file);
  if (await hasSize(path, file.size)) return;
  const opened = await store.open(file.key, file.id);
  if (!opened) return; // deleted since the listing
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.fetching-${randomBytes(6).toString('hex')}`);
  try {
    await pipeline(opened.body, createWriteStream(tmp, { flags: 'wx' }));
    if (!(await hasSize(tmp, file.size))) {
      throw new StorageError(`[files] ${file.name} (${file.id}) arrived incomplete from the store`);
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function hasSize(path: string, size: number): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile() && s.size === size,
    () => false,
  );
}
