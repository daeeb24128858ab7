import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { systemClock, type Clock } from '../core/clock.js';
import type { ConversationKey } from '../core/keys.js';
import { FileRefusedError } from './errors.js';
import { newFileId } from './ids.js';
import { mimeFor, nameForContent, sniffFile } from './kinds.js';
import { sanitizeFileName } from './names.js';
import { workspacePath } from './paths.js';
import type { FileDirection, FilePolicy, FileStore, StoredFile } from './types.js';

export interface IngestInput {
  key: ConversationKey;
  direction: FileDirection;
  /** The name as sent (untrusted; sanitised here). Absent: `fallbackName`. */
  name: string | undefined;
  /** Used when the name is absent or sanitises to nothing (e.g. `photo` for a Telegram photo). */
  fallbackName?: string;
  /** The bytes, streamed (never buffered whole). */
  body: Readable | AsyncIterable<Uint8Array>;
  policy: FilePolicy;
  /** The conversation's workspace folder (`conversationFilesDir`): the file lands there too. */
  dir: string;
  signal?: AbortSignal;
  clock?: Clock;
}

/** A stored file and where it sits in the workspace. */
export interface IngestedFile {
  file: StoredFile;
  path: string;
}

/**
 * Receives one file: streams `body` into a temporary file in the conversation's folder (refusing
 * past the size cap at once), recognises it by content, checks the tenant's policy, moves it to its
 * place and stores it durably. Either the whole file is stored and in place, or nothing is (the
 * temporary file is removed on every failure, including an aborted or failing `body`).
 *
 * Fails with `FileRefusedError`: `too_large` (past `policy.maxBytes`, stopped at once), `empty`,
 * `type_not_allowed` (the message names what the tenant accepts), `download_failed` (`body` failed
 * or `signal` fired; the original error is the `cause`). Errors of the disk or the store pass through.
 */
export async function ingestFile(store: FileStore, input: IngestInput): Promise<IngestedFile> {
  const id = newFileId();
  await mkdir(input.dir, { recursive: true });
  const tmp = join(input.dir, `.incoming-${id}`);
  const name0 = sanitizeFileName(input.name, sanitizeFileName(input.fallbackName, 'file'));
  let size = 0;
  const cap = input.policy.maxBytes;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.byteLength;
      if (size > cap) {
        done(tooLarge(name0, cap));
        return;
      }
      done(null, chunk);
    },
  });
  // Errors of the body (not of the disk) are the sender's download failing.
  let bodyFailed = false;
  const body = async function* (): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of input.body) yield chunk as Uint8Array;
    } catch (err) {
      bodyFailed = true;
      throw err;
    }
  };
  const out = createWriteStream(tmp, { flags: 'wx' });
  let placed: string | undefined;
  try {
    try {
      await pipeline(body, counter, out, ...(input.signal ? [{ signal: input.signal }] : []));
    } catch (err) {
      if (err instanceof FileRefusedError || !(bodyFailed || input.signal?.aborted)) throw err;
      throw downloadFailed(name0, err, input.signal);
    }
    if (size === 0) throw new FileRefusedError('empty', `${name0} is empty`, { name: name0 });
    const sniffed = await sniffFile(tmp);
    if (!input.policy.allow.includes(sniffed.kind)) {
      throw new FileRefusedError(
        'type_not_allowed',
        `${name0} is ${describeKind(sniffed.kind)}; this bot accepts ${input.policy.allow.map(describeKind).join(', ')}`,
        { name: name0, kind: sniffed.kind },
      );
    }
    const name = nameForContent(name0, sniffed);
    const file: StoredFile = {
      id,
      key: input.key,
      direction: input.direction,
      name,
      size,
      mime: mimeFor(name, sniffed.kind),
      kind: sniffed.kind,
      createdAt: (input.clock ?? systemClock).now(),
    };
    placed = workspacePath(input.dir, file);
    await mkdir(join(input.dir, id), { recursive: true });
    await rename(tmp, placed);
    await store.put(file, placed);
    return { file, path: placed };
  } catch (err) {
    // The write stream may still be opening or flushing: removing the file before it closed
    // could let it reappear.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    await rm(tmp, { force: true });
    if (placed) await rm(join(input.dir, id), { recursive: true, force: true });
    throw err;
  }
}

/** The body failed or the caller gave up (`signal`): the sender gets a clear reason, the cause is kept. */
function downloadFailed(name: string, cause: unknown, signal: AbortSignal | undefined): FileRefusedError {
  const why = signal?.aborted ? 'the download was stopped or timed out' : 'the download failed';
  return new FileRefusedError(
    'download_failed',
    `${name} could not be received: ${why}`,
    { name },
    { cause },
  );
}

function tooLarge(name: string, maxBytes: number): FileRefusedError {
  return new FileRefusedError(
    'too_large',
    `${name} is larger than ${formatBytes(maxBytes)}, the most this bot accepts`,
    { name, maxBytes },
  );
}

export function describeKind(kind: StoredFile['kind']): string {
  switch (kind) {
    case 'image':
      return 'an image';
    case 'pdf':
      return 'a PDF';
    case 'text':
      return 'a text file';
    case 'other':
      return 'a binary file';
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
