import { describe, expect, it } from 'vitest';
import { markdownV2Problem } from '../../../test/fakes/telegram-api.js';
import { escapeInlineCodeBackslashes, toMarkdownV2 } from './format.js';

/** What Telegram displays for a MarkdownV2 inline code span: `\x` → `x`. */
const displayedCode = (v2: string): string[] =>
  [...v2.matchAll(/`((?:\\.|[^`\\])*)`/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));

describe('inline code backslashes', () => {
  it('keeps a trailing backslash and regex escapes intact, and the message stays parseable', () => {
    for (const [source, code] of [
      ['Run `cd C:\\` first.', 'cd C:\\'],
      ['Match `\\d+\\s*` here.', '\\d+\\s*'],
      ['Path `C:\\Users\\ops` and `x`.', 'C:\\Users\\ops'],
    ] as const) {
      const v2 = toMarkdownV2(source);
      expect(markdownV2Problem(v2), v2).toBeUndefined();
      expect(displayedCode(v2)).toContain(code);
    }
  });

  it('leaves fenced code blocks and text outside code alone', () => {
    const source = 'a \\ b\n```\nc:\\dir `x\\`\n```\nand `y\\z`';
    expect(escapeInlineCodeBackslashes(source)).toBe('a \\ b\n```\nc:\\dir `x\\`\n```\nand `y\\\\z`');
  });
});
