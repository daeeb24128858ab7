import type { SessionStoreEntry } from '../../types.js';

/** Serialise entries as JSONL (one `JSON.stringify` per line, trailing newline). */
export function toJsonl(entries: readonly SessionStoreEntry[]): Buffer {
  let text = '';
  for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
  return Buffer.from(text, 'utf8');
}

/**
 * Incremental JSONL parser: feed it an object's chunks as they arrive and each complete line is
 * parsed and the chunk dropped, so a transcript is never held as bytes, string and objects at
 * once. Only a line that spans chunks is copied (into the carry-over).
 */
export class JsonlParser {
  readonly entries: SessionStoreEntry[] = [];
  bytes = 0;
  /** Set once a line is not valid JSON (truncated or corrupt object). */
  invalid = false;
  private carry: Buffer[] = [];

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.bytes += buf.byteLength;
    if (this.invalid) return;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) break;
      if (this.carry.length > 0) {
        this.carry.push(buf.subarray(start, nl));
        this.line(Buffer.concat(this.carry));
        this.carry = [];
      } else {
        this.line(buf.subarray(start, nl));
      }
      start = nl + 1;
    }
    // Copy the unfinished rest: a view would pin the whole chunk until the line ends.
    if (start < buf.byteLength) this.carry.push(Buffer.from(buf.subarray(start)));
  }

  /** Finish; a last line without newline still counts. */
  end(): void {
    if (this.carry.length > 0) {
      this.line(Buffer.concat(this.carry));
      this.carry = [];
    }
  }

  /** Parse one line (`tail` strings of a head come through here too). */
  pushLine(text: string): void {
    if (this.invalid || text === '') return;
    try {
      this.entries.push(JSON.parse(text) as SessionStoreEntry);
    } catch {
      this.invalid = true;
    }
  }

  private line(bytes: Buffer): void {
    if (this.invalid || bytes.byteLength === 0) return;
    this.pushLine(bytes.toString('utf8'));
  }
}

/** Split JSONL bytes at line ends into chunks of at most `max` bytes (a longer line stays whole). */
export function splitLines(bytes: Buffer, max: number): Array<{ bytes: Buffer; entries: number }> {
  const out: Array<{ bytes: Buffer; entries: number }> = [];
  let start = 0;
  while (start < bytes.length) {
    let end = start;
    let entries = 0;
    while (end < bytes.length) {
      const nl = bytes.indexOf(0x0a, end);
      const lineEnd = nl === -1 ? bytes.length : nl + 1;
      if (entries > 0 && lineEnd - start > max) break;
      end = lineEnd;
      entries += 1;
    }
    out.push({ bytes: bytes.subarray(start, end), entries });
    start = end;
  }
  return out;
}
