import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ConversationKey } from '../core/keys.js';
import { workspacePath } from './paths.js';
import type { FileStore, StoredFile } from './types.js';

/**
 * Brings the conversation's stored files into its workspace folder, where the agent was told they
 * are: every stored file missing there (another container received it, or this one was recycled)
 * is streamed in from the store. Files already in place with the right size are left alone, so a
 * warm container pays one listing. Returns the conversation's files.
 */
export async function materializeFiles(
  store: FileStore,
  key: ConversationKey,
  dir: string,
): Promise<StoredFile[]> {
  const files = await store.list(key);
  await Promise.all(files.map((file) => ensureLocal(store, file, dir)));
  return files;
}

async function ensureLocal(store: FileStore, file: StoredFile, dir: string): Promise<void> {
  const path = workspacePath(dir, file);
  const present = await stat(path).then(
    (s) => s.isFile() && s.size === file.size,
    () => false,
  );
  if (present) return;
  const opened = await store.open(file.key, file.id);
  if (!opened) return; // deleted since the listing
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.fetching-${process.pid}-${Date.now()}`);
  try {
    await pipeline(opened.body, createWriteStream(tmp));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
