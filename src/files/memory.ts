import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StorageError } from '../core/errors.js';
import { conversationKeyString, sameConversation, type ConversationKey } from '../core/keys.js';
import { assertKey, assertStorable } from './check.js';
import { mimeFor } from './kinds.js';
import { byCreation } from './order.js';
import type { FileId, FileStore, StoredFile } from './types.js';

/** What the memory store holds, by `<tenant:chat:thread>/<file id>` (for tests that read it raw). */
export type MemoryFileState = Map<string, { file: StoredFile; bytes: Buffer }>;

/** Files in memory (tests and the in-memory storage). `state` is the raw map, for tests. */
export function createMemoryFileStore(): FileStore & { readonly state: MemoryFileState } {
  const files: MemoryFileState = new Map();
  const id = (key: ConversationKey, fileId: FileId): string => {
    assertKey(key);
    return `${conversationKeyString(key)}/${fileId}`;
  };
  return {
    state: files,
    async put(file, localPath) {
      assertStorable(file, 'files:memory');
      const bytes = await readFile(localPath);
      if (bytes.byteLength !== file.size) {
        throw new StorageError(
          `[files:memory] ${file.name} is ${bytes.byteLength} bytes, expected ${file.size}`,
        );
      }
      // The MIME type follows from kind and name, as in the other stores.
      files.set(id(file.key, file.id), { file: { ...file, mime: mimeFor(file.name, file.kind) }, bytes });
    },
    async list(key) {
      assertKey(key);
      return [...files.values()]
        .filter((f) => sameConversation(f.file.key, key))
        .map((f) => ({ ...f.file }))
        .sort(byCreation);
    },
    async get(key, fileId) {
      const f = files.get(id(key, fileId));
      return f ? { ...f.file } : undefined;
    },
    async open(key, fileId) {
      const f = files.get(id(key, fileId));
      return f ? { file: { ...f.file }, body: Readable.from([f.bytes]) } : undefined;
    },
  };
}
