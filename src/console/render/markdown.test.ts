import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { htmlFindings } from './html-check.js';
import { MARKDOWN_MAX_CHARS, renderMarkdown } from './markdown.js';
import { inertText } from './untrusted.js';

/** What every rendering must be: only known tags and attributes, no script, handler, image or unsafe link. */
function expectInert(html: string): void {
  expect(htmlFindings(html)).toEqual([]);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  expect(html).not.toMatch(/<[^>]*\son\w+=/i);
  expect(html).not.toMatch(/href="\s*(javascript|data|vbscript):/i);
}

describe('renderMarkdown: hostile input stays text', () => {
  it.each([
    ['script tag', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['img onerror', '<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['svg onload', '<svg/onload=alert(1)>', '&lt;svg/onload=alert(1)&gt;'],
    ['html in a code block', '```html\n<script>x</script>\n```', '&lt;script&gt;x&lt;/script&gt;'],
    ['html in inline code', '`<b onclick=x>`', '<code>&lt;b onclick=x&gt;</code>'],
  ])('%s', (_name, input, expected) => {
    const html = renderMarkdown(input);
    expect(html).toContain(expected);
    expectInert(html);
  });

  it.each([
    '[c](javascript:alert(1))',
    '[c](JaVaScRiPt:alert(1))',
    '[c](javascript&#58;alert(1))',
    '[c](&#106;avascript:alert(1))',
    '[c](java&#x09;script:alert(1))',
    '[c](<javascript:alert(1)>)',
    '[c](\tjavascript:alert(1))',
    '[c](%6Aavascript:alert(1))',
    '[c](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[c](DATA:text/html,<script>alert(1)</script>)',
    '[c](vbscript:msgbox(1))',
    '[c](VBScript&colon;msgbox(1))',
    '[c](//evil.example/x)',
    '[c](file:///etc/passwd)',
    '<javascript:alert(1)>',
    '<data:text/html,x>',
    '[x][r]\n\n[r]: javascript:alert(1)',
    '[x][r]\n\n[r]: data:text/html,x',
    '[x]\n\n[x]: vbscript:y',
    '[empty]()',
    '[empty](<>)',
  ])('no link for %j', (input) => {
    const html = renderMarkdown(input);
    expect(html).not.toContain('<a ');
    expectInert(html);
  });

  it('keeps web and mail links, with rel and no referrer (inline, reference-style, autolink)', () => {
    for (const input of [
      '[ok](https://ok.example/a)',
      '[ok][r]\n\n[r]: https://ok.example/a',
      '<https://ok.example/a>',
      '[mail](mailto:ops@example.com)',
    ]) {
      const html = renderMarkdown(input);
      expect(html).toMatch(/<a href="(https:\/\/ok\.example\/a|mailto:ops@example\.com)"/);
      expect(html).toContain('rel="noopener noreferrer nofollow"');
      expect(html).toContain('referrerpolicy="no-referrer"');
      expectInert(html);
    }
  });

  it('does not turn bare addresses into links (no linkify)', () => {
    expect(renderMarkdown('see https://ok.example/x')).not.toContain('<a ');
  });

  it('shows a markdown image (a beacon) as text naming its address, never an <img> nor a link', () => {
    const html = renderMarkdown('look ![x](https://evil.example/p.png) and ![](http://127.0.0.1:9/beacon)');
    expect(html).toContain('<span class="md-image">[image: x → https://evil.example/p.png]</span>');
    expect(html).toContain('[image → http://127.0.0.1:9/beacon]');
    expect(html).not.toContain('<a ');
    expectInert(html);
    const reference = renderMarkdown('![x][p]\n\n[p]: https://evil.example/p.png');
    expect(reference).toContain('[image: x → https://evil.example/p.png]');
    expectInert(reference);
  });

  it('drops link titles (one that tries to break out of its attribute included)', () => {
    const html = renderMarkdown('[a](https://x.example "t\\" onmouseover=\\"alert(1)")');
    expect(html).toContain('<a href="https://x.example" rel=');
    expect(html).not.toContain('title=');
    expectInert(html);
  });

  it('shows RTL overrides as code points in text, link text and file names', () => {
    expect(renderMarkdown('evil\u202Etxt.exe')).toBe('<p>evil[U+202E]txt.exe</p>\n');
    expect(renderMarkdown('[evil\u202Etxt.exe](https://x.example)')).toContain('>evil[U+202E]txt.exe</a>');
    expect(renderMarkdown('`invoice\u202Efdp.exe`')).toContain('<code>invoice[U+202E]fdp.exe</code>');
    expect(renderMarkdown('a\u2066b\u2069c\u200Fd')).toContain('a[U+2066]b[U+2069]c[U+200F]d');
    expect(inertText('report\u202Efdp.exe')).toBe('report[U+202E]fdp.exe');
  });

  it('drops NUL characters', () => {
    expect(renderMarkdown('a\u0000b<\u0000script>')).toBe('<p>ab&lt;script&gt;</p>\n');
  });

  it('keeps a very long line as one text run (the page wraps it: overflow-wrap in transcript.css)', () => {
    const line = 'x'.repeat(20_000);
    expect(renderMarkdown(line)).toBe(`<p>${line}</p>\n`);
  });

  it('renders huge and pathological inputs in bounded time', () => {
    for (const input of [
      '[['.repeat(500_000),
      '*a'.repeat(500_000),
      'a_'.repeat(500_000),
      '[a]('.repeat(250_000),
      '<'.repeat(1_000_000),
      '> '.repeat(500_000),
      '[['.repeat(MARKDOWN_MAX_CHARS / 2),
      '*a'.repeat(MARKDOWN_MAX_CHARS / 2),
    ]) {
      const started = performance.now();
      const html = renderMarkdown(input);
      expect(performance.now() - started).toBeLessThan(1500);
      expect(html).not.toMatch(/<(script|img)/);
    }
  });

  it('shows text over the limit preformatted and escaped', () => {
    const html = renderMarkdown(`${'<script>alert(1)</script> '.repeat(3000)}\u202E`);
    expect(html.startsWith('<pre class="md-plain">&lt;script&gt;')).toBe(true);
    expect(html).toContain('[U+202E]');
    expectInert(html);
  });
});

describe('renderMarkdown: property', () => {
  const hostile = fc.constantFrom(
    '<script>',
    '</script>',
    '<img src=x onerror=alert(1)>',
    'javascript:',
    'JaVaScRiPt:',
    'data:',
    'vbscript:',
    '&#58;',
    '&colon;',
    '&#x6A;',
    '[',
    ']',
    '(',
    ')',
    '![',
    '<',
    '>',
    '"',
    "'",
    '`',
    '```',
    '\n',
    '\n\n',
    ' on',
    'onerror=',
    'onload=',
    '=',
    '\u202E',
    '\u0000',
    '\t',
    ': ',
    '*',
    '_',
    '#',
    '- ',
    '1. ',
    '|',
    '---',
    'https://x',
    'mailto:',
    '\\',
    '&',
    ';',
  );
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc
      .array(fc.oneof(hostile, fc.string({ maxLength: 5 })), { maxLength: 60 })
      .map((parts) => parts.join('')),
  );

  it('never yields a script, an event handler, an image or an unsafe href', () => {
    fc.assert(
      fc.property(text, (input) => {
        const html = renderMarkdown(input);
        expect(html).not.toMatch(/<script/i);
        expect(html).not.toMatch(/<img/i);
        expect(html).not.toMatch(/<[^>]*\son\w+=/i);
        expect(htmlFindings(html)).toEqual([]);
        expect(html).not.toMatch(/href="\s*javascript:/i);
      }),
      { numRuns: 3000 },
    );
  });
});
