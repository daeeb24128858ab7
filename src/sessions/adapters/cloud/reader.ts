import { SessionHistoryError } from '../../../core/errors.js';
import { transcriptPrefix, type TranscriptAddress } from '../../../core/keys.js';
import type { SessionStoreEntry } from '../../types.js';
import { extendWindow, RECENT_UUIDS } from './dedupe.js';
import { JsonlParser } from './jsonl.js';
import type { ObjectStore } from './objects.js';
import { partName, type HeadItem } from './schema.js';

const LOAD_CONCURRENCY = 8;
/** Objects read back at most to rebuild a dedupe window (newest first). */
const RECENT_MAX_OBJECTS = 16;

/** An object a head references; segments record their size and entry count, parts only totals. */
interface Referenced {
  name: string;
  bytes?: number;
  entries?: number;
}

export function label(addr: TranscriptAddress): string {
  return addr.subpath === undefined
    ? `session ${addr.sessionId}`
    : `session ${addr.sessionId} (${addr.subpath})`;
}

export const objectKey = (addr: TranscriptAddress, name: string): string =>
  `${transcriptPrefix(addr)}${name}`;

export function referenced(head: HeadItem): Referenced[] {
  return [...head.segments, ...head.parts.map((t) => ({ name: partName(t) }))];
}

function missing(objects: ObjectStore, addr: TranscriptAddress, key: string, i: number, n: number): Error {
  return new SessionHistoryError(
    `[sessions:cloud] history of ${label(addr)} is incomplete: object ${i + 1} of ${n} ` +
      `(s3://${objects.bucket}/${key}) referenced by its head is missing. The session cannot be resumed ` +
      `as it was; start a new one (/new) or restore the object.`,
  );
}

/**
 * Reads transcript streams back from S3 and verifies them against their head: a missing object,
 * a size or entry-count mismatch is a `SessionHistoryError`, never a shorter history.
 */
export function createStreamReader(objects: ObjectStore) {
  /** Every entry of the stream: objects streamed and parsed as they arrive (8 at a time), then the inline tail. */
  async function readAll(addr: TranscriptAddress, head: HeadItem): Promise<SessionStoreEntry[]> {
    const refs = referenced(head);
    const parsed: Array<JsonlParser | null> = new Array<JsonlParser | null>(refs.length).fill(null);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < refs.length) {
        const i = next++;
        const ref = refs[i]!;
        const key = objectKey(addr, ref.name);
        const parser = new JsonlParser();
        if (!(await objects.read(key, (chunk) => parser.push(chunk))))
          throw missing(objects, addr, key, i, refs.length);
        parser.end();
        if (parser.invalid || (ref.entries !== undefined && parser.entries.length !== ref.entries)) {
          throw new SessionHistoryError(
            `[sessions:cloud] history of ${label(addr)} is corrupt: s3://${objects.bucket}/${key} ` +
              `parsed to ${parser.invalid ? 'invalid JSONL' : `${parser.entries.length} entries`}` +
              `${ref.entries !== undefined ? `, its head recorded ${ref.entries}` : ''}.`,
          );
        }
        if (ref.bytes !== undefined && parser.bytes !== ref.bytes) {
          throw new SessionHistoryError(
            `[sessions:cloud] history of ${label(addr)} is truncated: s3://${objects.bucket}/${key} holds ` +
              `${parser.bytes} bytes, its head recorded ${ref.bytes}.`,
          );
        }
        parsed[i] = parser;
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, refs.length) }, worker));
    const out: SessionStoreEntry[] = [];
    let bytes = 0;
    for (let i = 0; i < parsed.length; i++) {
      const parser = parsed[i]!;
      for (const entry of parser.entries) out.push(entry);
      bytes += parser.bytes;
      parsed[i] = null;
    }
    const tail = new JsonlParser();
    for (const line of head.tail) {
      tail.pushLine(line);
      bytes += Buffer.byteLength(line) + 1;
    }
    if (tail.invalid) {
      throw new SessionHistoryError(
        `[sessions:cloud] history of ${label(addr)} is corrupt: invalid inline entry`,
      );
    }
    for (const entry of tail.entries) out.push(entry);
    if (out.length !== head.entries || bytes !== head.bytes) {
      throw new SessionHistoryError(
        `[sessions:cloud] history of ${label(addr)} is truncated: its objects hold ${out.length} entries ` +
          `(${bytes} bytes), its head recorded ${head.entries} (${head.bytes} bytes).`,
      );
    }
    return out;
  }

  /** The bytes of objects by name, in order (compaction), each required to exist. */
  async function readBytes(addr: TranscriptAddress, names: string[]): Promise<Buffer[]> {
    const out = new Array<Buffer>(names.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const i = next++;
        const key = objectKey(addr, names[i]!);
        const bytes = await objects.get(key);
        if (bytes === null) throw missing(objects, addr, key, i, names.length);
        out[i] = bytes;
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, names.length) }, worker));
    return out;
  }

  /**
   * The dedupe window of a stream this process holds no copy of (e.g. after a lost response):
   * the inline tail, then the newest objects backwards until `RECENT_UUIDS` uuids are found.
   */
  async function readRecent(addr: TranscriptAddress, head: HeadItem): Promise<string[]> {
    const tail = new JsonlParser();
    for (const line of head.tail) tail.pushLine(line);
    let window = extendWindow([], tail.entries);
    const refs = referenced(head).reverse().slice(0, RECENT_MAX_OBJECTS);
    for (const ref of refs) {
      if (window.length >= RECENT_UUIDS) break;
      const bytes = await objects.get(objectKey(addr, ref.name));
      if (bytes === null) break; // a load reports it; the window is best-effort here
      const parser = new JsonlParser();
      parser.push(bytes);
      parser.end();
      window = extendWindow([], parser.entries).concat(window).slice(-RECENT_UUIDS);
    }
    return window;
  }

  return { readAll, readBytes, readRecent };
}

export type StreamReader = ReturnType<typeof createStreamReader>;
