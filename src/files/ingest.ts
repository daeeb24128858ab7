import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { systemClock, type Clock } from '../core/clock.js';
import type { ConversationKey } from '../core/keys.js';
import { FileRefusedError } from './errors.js';
import { newFileId } from './ids.js';
import { mimeFor, nameForContent, sniffFile } from './kinds.js';
import { sanitizeFileName } from './names.js';
import { assertKindAllowed, refuseEmpty, refuseTooLarge } from './policy.js';
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
  let placed: string | undefined;
  try {
    const size = await receive(tmp, input, name0);
    if (size === 0) throw refuseEmpty(name0);
    const sniffed = await sniffFile(tmp);
    assertKindAllowed(name0, sniffed.kind, input.policy);
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
    await rm(tmp, { force: true });
    if (placed) await rm(join(input.dir, id), { recursive: true, force: true });
    throw err;
  }
}

/**
 * Writes `input.body` to a new file at `tmp`, one chunk at a time: each chunk is written before the
 * next is asked for, so a source may hand out one buffer again and again (the Telegram download
 * does: a 20 MB file then needs 64 KB, not 20 MB of short-lived buffers). Stops at once past the
 * cap. Returns the size. The file is closed before this settles, whatever happens.
 */
async function receive(tmp: string, input: IngestInput, name: string): Promise<number> {
  const cap = input.policy.maxBytes;
  const out = await open(tmp, 'wx');
  let size = 0;
  try {
    const chunks = input.body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await untilAborted(chunks.next(), input.signal);
      } catch (err) {
        // Errors of the body (not of the disk) are the sender's download failing. Not awaited: a
        // body stuck in a read would keep its `return` waiting.
        void chunks.return?.().catch(() => undefined);
        throw downloadFailed(name, err, input.signal);
      }
      if (next.done) return size;
      const chunk = next.value;
      size += chunk.byteLength;
      if (size > cap) {
        await chunks.return?.().catch(() => undefined);
        throw refuseTooLarge(name, cap);
      }
      for (let at = 0; at < chunk.byteLength;) {
        at += (await out.write(chunk, at, chunk.byteLength - at)).bytesWritten;
      }
    }
  } finally {
    await out.close();
  }
}

/** `promise`, or a rejection as soon as `signal` fires (a stalled body cannot hold the caller). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
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
