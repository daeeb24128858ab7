import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embedMarkdown, fencedBlock, inlineCode, plainInline, truncate } from './markdown-safety.js';
import { MARKDOWN_TAGS, renderHtml, tagNames } from './testing/html.js';

/** Content, then one of our folded blocks: the block must come out of a renderer intact. */
function withSentinel(embedded: string): string {
  return `${embedded}\n\n<details><summary>SENTINEL</summary>\n\nAFTER\n\n</details>\n`;
}

describe('fencedBlock', () => {
  it('uses a backtick fence longer than any run inside, so no content line closes it', () => {
    expect(fencedBlock('plain', 'text')).toBe('```text\nplain\n```');
    expect(fencedBlock('a\n`````\nb', 'json')).toBe('``````json\na\n`````\nb\n``````');
    expect(fencedBlock('x', 'bash `rm -rf`')).toBe('```bashrm-rf\nx\n```');
  });
});

describe('inlineCode and plainInline', () => {
  it('inline code holds any backticks and stays on one line', () => {
    expect(inlineCode('a`b')).toBe('``a`b``');
    expect(inlineCode('`x`')).toBe('`` `x` ``');
    expect(inlineCode('one\ntwo')).toBe('`one two`');
  });

  it('plain text reads as written: HTML and Markdown punctuation escaped', () => {
    expect(plainInline('<b>*x*</b> #1 [a](b)')).toBe('&lt;b&gt;\\*x\\*&lt;/b&gt; \\#1 \\[a\\](b)');
  });
});

describe('truncate', () => {
  it('never cuts a surrogate pair in half', () => {
    expect(truncate('ab😀cd', 3)).toEqual({ text: 'ab', omitted: 4 });
    expect(truncate('short', 10)).toEqual({ text: 'short', omitted: 0 });
  });
});

describe('embedMarkdown', () => {
  it('keeps Markdown, escapes HTML outside code, keeps code spans and fenced code literal', () => {
    const text = 'Use **bold** & <b>tags</b>: `a < b && c`\n\n```sh\necho 1 > /dev/null && <x>\n```';
    expect(embedMarkdown(text)).toBe(
      'Use **bold** &amp; &lt;b>tags&lt;/b>: `a < b && c`\n\n```sh\necho 1 > /dev/null && <x>\n```',
    );
  });

  it('closes a fence the text left open, and re-fences ~~~ and long fences with ours', () => {
    expect(embedMarkdown('before\n```js\nlet a = "<x>";')).toBe('before\n```js\nlet a = "<x>";\n```');
    expect(embedMarkdown('~~~\n```\n~~~')).toBe('````\n```\n````');
    expect(embedMarkdown('````\n```\n````')).toBe('````\n```\n````');
  });

  it('escapes a backtick with no partner on its line (a renderer could pair it across lines)', () => {
    // Line 2 pairs its first two backticks (literal code, as a renderer reads it too); the last is escaped.
    expect(embedMarkdown('a `b\nc` <img src=x onerror=alert(1)> `d`')).toBe(
      'a \\`b\nc` <img src=x onerror=alert(1)> `d\\`',
    );
    const html = renderHtml(embedMarkdown('p `a\n# b `c` <img src=x onerror=alert(1)> `d`'));
    expect(tagNames(html).has('img')).toBe(false);
  });

  it('keeps code spans with a pipe escaped (a GFM table splits cells before it sees code)', () => {
    const text = '| a | b |\n|---|---|\n| `x | <script>alert(1)</script>` | y |';
    expect(tagNames(renderHtml(embedMarkdown(text))).has('script')).toBe(false);
  });

  it('a backslash before < or & still cannot produce HTML', () => {
    expect(embedMarkdown('\\<script> \\&amp; \\`')).toBe('&lt;script> &amp;amp; \\`');
  });

  it('property: no content makes a tag of its own or breaks the block after it', () => {
    const token = fc.constantFrom(
      ...['<x-evil>', '</x-evil>', '<!--', '-->', '</details>', '<details>', '<summary>', '&lt;', '&'],
      ...['`', '``', '```', '~~~', '````', '\\', '\n', '\n\n', '    ', '  ', '> ', '- ', '1. ', '|', '---'],
      ...['# ', '*', '_', '[a]', '(b)', '<', '>', 'x', 'javascript:', '<https://a.b>', '\t', '\r\n'],
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => {
        const html = renderHtml(withSentinel(embedMarkdown(tokens.join(''))));
        expect(html).not.toMatch(/<\/?x-evil/);
        expect([...tagNames(html)].filter((t) => !MARKDOWN_TAGS.has(t))).toEqual([]);
        expect(html.match(/<details>/g)).toHaveLength(1);
        expect(html).toContain('<details><summary>SENTINEL</summary>\n<p>AFTER</p>\n</details>');
      }),
      { numRuns: 500 },
    );
  });
});
