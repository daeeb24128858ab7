import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import { parseTenantId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { newFileId } from '../ids.js';
import { mimeFor } from '../kinds.js';
import type { FileStoreHarness, FileStoreSubject } from '../conformance.js';
import type { StoredFile } from '../types.js';

export const TENANT_A = parseTenantId('acme');
export const TENANT_B = parseTenantId('globex');
export const T0 = Date.UTC(2026, 11, 1, 12);

/** A fresh store and a scratch folder per test, both removed afterwards. */
export function useFileSubject(
  harness: FileStoreHarness,
): () => FileStoreSubject & { scratch: string; source(bytes: Buffer | string): Promise<string> } {
  let subject: FileStoreSubject | undefined;
  let scratch = '';
  let n = 0;
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'omni-files-conf-'));
    subject = await harness.create();
  });
  afterEach(async () => {
    const current = subject;
    subject = undefined;
    await current?.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });
  return () => {
    if (!subject) throw new Error('[files:conformance] no subject: harness.create() failed');
    return {
      ...subject,
      scratch,
      async source(bytes) {
        const path = join(scratch, `source-${n++}`);
        await writeFile(path, bytes);
        return path;
      },
    };
  };
}

export const chatKey = (tenant = TENANT_A, chat = '-100123', thread = 'main'): ConversationKey =>
  conversationKey({ tenant, chat, thread });

/** A file record of `bytes` (what `ingestFile` would build). */
export function fileOf(
  key: ConversationKey,
  bytes: Buffer | string,
  overrides: Partial<StoredFile> = {},
): StoredFile {
  const file: StoredFile = {
    id: newFileId(),
    key,
    direction: 'in',
    name: 'build log 2026-12-01.txt',
    size: Buffer.byteLength(bytes),
    kind: 'text',
    mime: 'text/plain',
    createdAt: T0,
    ...overrides,
  };
  return { ...file, mime: mimeFor(file.name, file.kind) };
}

/** Stores `bytes` as a new file of `key` and returns its record. */
export async function putBytes(
  s: ReturnType<ReturnType<typeof useFileSubject>>,
  key: ConversationKey,
  bytes: Buffer | string,
  overrides: Partial<StoredFile> = {},
): Promise<StoredFile> {
  const file = fileOf(key, bytes, overrides);
  await s.store.put(file, await s.source(bytes));
  return file;
}

/** Reads a stream to the end. */
export async function drain(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
