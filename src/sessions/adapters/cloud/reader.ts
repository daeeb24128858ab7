import { SessionHistoryError } from '../../../core/errors.js';
import { transcriptPrefix, type TranscriptAddress } from '../../../core/keys.js';
import type { SessionStoreEntry } from '../../types.js';
import { extendWindow, RECENT_UUIDS } from './dedupe.js';
import { JsonlParser } from './jsonl.js';
import type { ObjectStore } from './objects.js';
import { isTablePart, partName, tablePartSk, type HeadItem } from './schema.js';
import type { TablePartStore } from './table-parts.js';

const LOAD_CONCURRENCY = 8;
/** Objects read back at most to rebuild a dedupe window (newest first). */
const RECENT_MAX_OBJECTS = 16;

/**
 * A piece of a stream a head references, in order: an S3 object (a segment — which records its
 * size and entry count — or an object part) or a table part (`token`).
 */
export type Piece =
  { where: 'object'; name: string; bytes?: number; entries?: number } | { where: 'table'; token: string };

export function label(addr: TranscriptAddress): string {
  return addr.subpath === undefined
    ? `session ${addr.sessionId}`
    : `session ${addr.sessionId} (${addr.subpath})`;
}

export const objectKey = (addr: TranscriptAddress, name: string): string =>
  `${transcriptPrefix(addr)}${name}`;

export function pieces(head: HeadItem): Piece[] {
  return [
    ...head.segments.map((s): Piece => ({ where: 'object', ...s })),
    ...head.parts.map((t): Piece =>
      isTablePart(t) ? { where: 'table', token: t } : { where: 'object', name: partName(t) },
    ),
  ];
}

/** A piece its head references is gone: a loss, unless a compaction moved the head meanwhile (`load` re-reads). */
export class MissingPieceError extends SessionHistoryError {}

export function createStreamReader(objects: ObjectStore, tableParts: TablePartStore) {
  const where = (addr: TranscriptAddress, piece: Piece): string =>
    piece.where === 'object'
      ? `s3://${objects.bucket}/${objectKey(addr, piece.name)}`
      : `DynamoDB item ${tablePartSk(addr, piece.token)}`;

  function missing(addr: TranscriptAddress, piece: Piece, i: number, n: number): Error {
    return new MissingPieceError(
      `[sessions:cloud] history of ${label(addr)} is incomplete: piece ${i + 1} of ${n} ` +
        `(${where(addr, piece)}) referenced by its head is missing. The session cannot be resumed ` +
        `as it was; start a new one (/new) or restore it.`,
    );
  }

  /** The table parts among `list` (one BatchGetItem per 100, in the head's partition `pk`), by token. */
  async function tableBodies(
    pk: string,
    addr: TranscriptAddress,
    list: Piece[],
  ): Promise<Map<string, Buffer>> {
    const tokens = list.flatMap((p) => (p.where === 'table' ? [p.token] : []));
    return tokens.length === 0 ? new Map() : tableParts.getMany(pk, addr, tokens);
  }

  /**
   * Every entry of the stream, verified against its head (a missing piece, a size or entry-count
   * mismatch is a `SessionHistoryError`, never a shorter history): S3 objects streamed and parsed
   * as they arrive (8 at a time) while the table parts arrive in one BatchGetItem, then the
   * inline tail.
   */
  async function readAll(addr: TranscriptAddress, head: HeadItem): Promise<SessionStoreEntry[]> {
    const refs = pieces(head);
    const parsed: Array<JsonlParser | null> = new Array<JsonlParser | null>(refs.length).fill(null);
    const fromTable = tableBodies(head.pk, addr, refs);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < refs.length) {
        const i = next++;
        const ref = refs[i]!;
        if (ref.where === 'table') continue;
        const parser = new JsonlParser();
        if (!(await objects.read(objectKey(addr, ref.name), (chunk) => parser.push(chunk))))
          throw missing(addr, ref, i, refs.length);
        parser.end();
        parsed[i] = verified(addr, ref, parser);
      }
    };
    await Promise.all([
      ...Array.from({ length: Math.min(LOAD_CONCURRENCY, refs.length) }, worker),
      fromTable.then((bodies) => {
        refs.forEach((ref, i) => {
          if (ref.where !== 'table') return;
          const body = bodies.get(ref.token);
          if (body === undefined) throw missing(addr, ref, i, refs.length);
          const parser = new JsonlParser();
          parser.push(body);
          parser.end();
          parsed[i] = verified(addr, ref, parser);
        });
      }),
    ]);
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

  function verified(addr: TranscriptAddress, ref: Piece, parser: JsonlParser): JsonlParser {
    const expected: { bytes?: number; entries?: number } = ref.where === 'object' ? ref : {};
    if (parser.invalid || (expected.entries !== undefined && parser.entries.length !== expected.entries)) {
      throw new SessionHistoryError(
        `[sessions:cloud] history of ${label(addr)} is corrupt: ${where(addr, ref)} ` +
          `parsed to ${parser.invalid ? 'invalid JSONL' : `${parser.entries.length} entries`}` +
          `${expected.entries !== undefined ? `, its head recorded ${expected.entries}` : ''}.`,
      );
    }
    if (expected.bytes !== undefined && parser.bytes !== expected.bytes) {
      throw new SessionHistoryError(
        `[sessions:cloud] history of ${label(addr)} is truncated: ${where(addr, ref)} holds ` +
          `${parser.bytes} bytes, its head recorded ${expected.bytes}.`,
      );
    }
    return parser;
  }

  /** The bytes of pieces of the stream whose head is `head`, in order (compaction), each required to exist. */
  async function readBytes(addr: TranscriptAddress, head: HeadItem, list: Piece[]): Promise<Buffer[]> {
    const out = new Array<Buffer>(list.length);
    const fromTable = tableBodies(head.pk, addr, list);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const i = next++;
        const ref = list[i]!;
        if (ref.where === 'table') continue;
        const bytes = await objects.get(objectKey(addr, ref.name));
        if (bytes === null) throw missing(addr, ref, i, list.length);
        out[i] = bytes;
      }
    };
    // Awaited together: a failed BatchGetItem must not be an unhandled rejection while GETs run.
    const [, bodies] = await Promise.all([
      Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, list.length) }, worker)),
      fromTable,
    ]);
    list.forEach((ref, i) => {
      if (ref.where !== 'table') return;
      const body = bodies.get(ref.token);
      if (body === undefined) throw missing(addr, ref, i, list.length);
      out[i] = body;
    });
    return out;
  }

  /**
   * The dedupe window of a stream this process holds no copy of (e.g. after a lost response):
   * the inline tail, then the newest pieces backwards until `RECENT_UUIDS` uuids are found.
   */
  async function readRecent(addr: TranscriptAddress, head: HeadItem): Promise<string[]> {
    const tail = new JsonlParser();
    for (const line of head.tail) tail.pushLine(line);
    let window = extendWindow([], tail.entries);
    const refs = pieces(head).reverse().slice(0, RECENT_MAX_OBJECTS);
    for (const ref of refs) {
      if (window.length >= RECENT_UUIDS) break;
      const bytes =
        ref.where === 'object'
          ? await objects.get(objectKey(addr, ref.name))
          : ((await tableParts.getMany(head.pk, addr, [ref.token])).get(ref.token) ?? null);
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
