/**
 * Putting text from a transcript into a Markdown document that a web console may render as HTML.
 * The rule: no HTML of the content ever reaches the document (every `<` and `&` outside code is
 * escaped), and no content can end or open a block of ours (every fence is chosen longer than any
 * backtick run of what it holds, and every fence of the content is closed where the content ends).
 * Safety never depends on guessing the renderer's block structure: where that is ambiguous (code
 * inside list items or quotes) the content is over-escaped, which only costs looks.
 */

/** `<`, `>` and `&` as entities: for text placed in raw HTML (`<summary>`) or Markdown prose. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** The longest run of `char` in `text` (0 if none). */
function longestRun(text: string, char: '`' | '~'): number {
  let longest = 0;
  for (const run of text.match(char === '`' ? /`+/g : /~+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/**
 * A fenced code block whose content is literal: a backtick fence one longer than the content's
 * longest backtick run (at least three), so no line of the content can close it. `info` is kept
 * to word characters (a language name), never backticks.
 */
export function fencedBlock(content: string, info = ''): string {
  const fence = '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
  const language = info.replace(/[^\w+.#-]/g, '').slice(0, 30);
  return `${fence}${language}\n${normalizeNewlines(content)}\n${fence}`;
}

/**
 * A short literal value (an id, a path, a command) as a code span on one line: whitespace
 * collapsed, delimited by more backticks than it holds and padded when it starts or ends with one.
 */
export function inlineCode(text: string): string {
  const value = text.replace(/\s+/g, ' ').trim();
  const ticks = '`'.repeat(longestRun(value, '`') + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${value}${pad}${ticks}`;
}

/**
 * One line of plain text for a heading or list item: whitespace collapsed, HTML escaped and
 * Markdown punctuation backslash-escaped, so it reads exactly as written.
 */
export function plainInline(text: string): string {
  return escapeHtml(text.replace(/\s+/g, ' ').trim()).replace(/[\\`*_[\]#|~!]/g, (c) => `\\${c}`);
}

/** CRLF and lone CR as LF: the document has LF line endings only. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** `text` cut to `max` characters (never inside a surrogate pair) and how many were left out. */
export function truncate(text: string, max: number): { text: string; omitted: number } {
  if (text.length <= max) return { text, omitted: 0 };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { text: text.slice(0, end), omitted: text.length - end };
}

/** `1234567` as `1,234,567` (fixed separators: output must not depend on the locale). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** An opening code fence at the top level: up to 3 spaces, then ``` or ~~~ (3+), then its info. */
const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/**
 * Markdown written by a person or the model, made safe to embed as Markdown:
 * - each top-level fenced code block is re-emitted with a fence of ours (its content literal, an
 *   unclosed one closed where the text ends), at column 0 so it also ends any list or quote;
 * - everywhere else `<` and `&` are escaped, except inside code spans that open and close on the
 *   same line; a backtick run with no partner on its line is backslash-escaped, so a renderer
 *   cannot pair it with one on another line and read escaped text as code (or the reverse).
 */
export function embedMarkdown(text: string): string {
  const lines = normalizeNewlines(text).split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = FENCE_OPEN.exec(line);
    const marker = open?.[2] ?? '';
    const info = open?.[3] ?? '';
    if (!open || (marker.startsWith('`') && info.includes('`'))) {
      out.push(escapeProseLine(line));
      continue;
    }
    const indent = open[1]?.length ?? 0;
    const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
    const body: string[] = [];
    for (i += 1; i < lines.length && !close.test(lines[i] ?? ''); i++) {
      body.push(dedent(lines[i] ?? '', indent));
    }
    out.push(fencedBlock(body.join('\n'), info.trim().split(/\s/)[0] ?? ''));
  }
  return out.join('\n');
}

/** Up to `n` leading spaces removed (what CommonMark strips from a fenced block's lines). */
function dedent(line: string, n: number): string {
  let k = 0;
  while (k < n && line[k] === ' ') k++;
  return line.slice(k);
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;

/** One prose line: HTML escaped outside same-line code spans, unpaired backticks escaped. */
function escapeProseLine(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i] ?? '';
    const next = line[i + 1] ?? '';
    if (c === '\\' && ASCII_PUNCTUATION.test(next)) {
      // `\<` and `\&` read as the bare character, which the entity says just as well.
      out += next === '<' || next === '&' ? escapeHtml(next) : c + next;
      i += 2;
    } else if (c === '`') {
      let n = 1;
      while (line[i + n] === '`') n++;
      const closer = findRun(line, i + n, n);
      if (closer === -1) {
        out += '\\`'.repeat(n);
        i += n;
      } else {
        const code = line.slice(i + n, closer);
        // In a GFM table row, `|` splits cells before code spans are seen: keep such code escaped.
        out += line.slice(i, i + n) + (code.includes('|') ? escapeHtml(code) : code) + line.slice(i, i + n);
        i = closer + n;
      }
    } else {
      out += c === '<' || c === '&' ? escapeHtml(c) : c;
      i += 1;
    }
  }
  return out;
}

/** Index of the next run of exactly `n` backticks in `line` from `from`, or -1. */
function findRun(line: string, from: number, n: number): number {
  let i = line.indexOf('`', from);
  while (i !== -1) {
    let k = 1;
    while (line[i + k] === '`') k++;
    if (k === n) return i;
    i = line.indexOf('`', i + k);
  }
  return -1;
}
