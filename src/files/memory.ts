import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { conversationKeyString, sameConversation, type ConversationKey } from '../core/keys.js';
import type { FileId, FileStore, StoredFile } from './types.js';

/** Files in memory (tests and the in-memory storage). */
export function createMemoryFileStore(): FileStore {
  const files = new Map<string, { file: StoredFile; bytes: Buffer }>();
  const id = (key: ConversationKey, fileId: FileId): string => `${conversationKeyString(key)}/${fileId}`;
  return {
    async put(file, localPath) {
      files.set(id(file.key, file.id), { file: { ...file }, bytes: await readFile(localPath) });
    },
    async list(key) {
      return [...files.values()]
        .filter((f) => sameConversation(f.file.key, key))
        .map((f) => ({ ...f.file }))
        .sort((a, b) => a.createdAt - b.createdAt);
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
