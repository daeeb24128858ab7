import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatForTelegram } from './format.js';
import { splitMarkdown } from './split.js';

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

describe('splitMarkdown', () => {
  it('keeps short text whole', () => {
    expect(splitMarkdown('hello\n\nworld', 100)).toEqual(['hello\n\nworld']);
  });

  it('never loses a word and respects the budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.stringMatching(/^[a-z]{1,30}$/), fc.constant('\n'), fc.constant('\n\n')), {
          maxLength: 400,
        }),
        fc.integer({ min: 40, max: 500 }),
        (tokens, budget) => {
          const text = tokens.join(' ');
          const pieces = splitMarkdown(text, budget);
          for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(budget);
          expect(words(pieces.join(' '))).toEqual(words(text));
        },
      ),
    );
  });

  it('closes and reopens a code block that has to be split', () => {
    const code = ['```ts', ...Array.from({ length: 50 }, (_, i) => `const v${i} = ${i};`), '```'].join('\n');
    const pieces = splitMarkdown(`intro\n\n${code}\n\noutro`, 300);
    const codePieces = pieces.filter((p) => p.includes('const v'));
    expect(codePieces.length).toBeGreaterThan(1);
    for (const piece of codePieces) {
      expect(piece).toMatch(/```ts\n[\s\S]*\n```/);
      expect((piece.match(/```/g) ?? []).length).toBe(2);
    }
    const lines = pieces.join('\n').match(/const v\d+/g);
    expect(lines).toHaveLength(50);
  });

  it('hard-splits a giant word without splitting surrogate pairs', () => {
    const emoji = '😀'.repeat(100);
    const pieces = splitMarkdown(emoji, 51);
    expect(pieces.join('')).toBe(emoji);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(51);
    for (const piece of pieces) expect([...piece].every((c) => c === '😀')).toBe(true);
  });
});

describe('formatForTelegram', () => {
  it('produces MarkdownV2 within the limit and keeps the source as the plain fallback', () => {
    const text = `# Title\n\nSome **bold** and _it_ with 1.5 + 2 = 3.5!\n\n${'x. '.repeat(3000)}`;
    const chunks = formatForTelegram(text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.markdownV2.length).toBeLessThanOrEqual(4096);
      expect(chunk.plain.length).toBeLessThanOrEqual(4096);
    }
    expect(chunks[0]?.markdownV2).toContain('*bold*');
    expect(chunks[0]?.markdownV2).toContain('1\\.5 \\+ 2 \\= 3\\.5\\!');
  });

  it('returns nothing for empty text', () => {
    expect(formatForTelegram('  \n')).toEqual([]);
  });
});
