import { describe, expect, it } from 'vitest';
import { JsonlParser, splitLines, toJsonl } from './jsonl.js';

describe('JsonlParser', () => {
  const entries = [
    { type: 'user', text: 'grüße 👋 '.repeat(50) },
    { type: 'assistant', n: 2 },
    { type: 'x', big: 'y'.repeat(5000) },
  ];
  const bytes = toJsonl(entries);

  it('parses whatever the chunk boundaries (inside lines and inside UTF-8 sequences)', () => {
    for (const size of [1, 3, 7, 64, 1000, bytes.length]) {
      const parser = new JsonlParser();
      for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
      parser.end();
      expect(parser.invalid).toBe(false);
      expect(parser.entries).toEqual(entries);
      expect(parser.bytes).toBe(bytes.length);
    }
  });

  it('flags a truncated object as invalid', () => {
    const parser = new JsonlParser();
    parser.push(bytes.subarray(0, bytes.length - 20));
    parser.end();
    expect(parser.invalid).toBe(true);
  });

  it('splitLines keeps lines whole and chunks within the limit', () => {
    const chunks = splitLines(bytes, 2000);
    expect(chunks.map((c) => c.entries)).toEqual([2, 1]);
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(bytes)).toBe(true);
  });
});
