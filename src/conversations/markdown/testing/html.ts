import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';

// CommonJS packages whose bundled types do not describe their CommonJS export: typed here.
const require = createRequire(import.meta.url);
const micromark = require('micromark') as (markdown: string, options: object) => string;
const gfm = require('micromark-extension-gfm') as () => unknown;
const gfmHtml = require('micromark-extension-gfm/html.js') as unknown;

/**
 * For tests: a real CommonMark + GFM renderer (micromark, the parser under remark, which the
 * Telegram formatter already ships) turning our Markdown into HTML with raw HTML passed through,
 * as a careless web console would. What it outputs is what a reader's browser would get.
 */
export function renderHtml(markdown: string): string {
  return micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml] });
}

/** Every HTML tag name in `html` (opening and closing), lower-cased. */
export function tagNames(html: string): Set<string> {
  return new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => (m[1] ?? '').toLowerCase()));
}

/** Tags that Markdown itself produces (GFM), plus the `<details>`/`<summary>` of our folded blocks. */
export const MARKDOWN_TAGS = new Set([
  ...['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'em', 'strong', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li'],
  ...['a', 'img', 'hr', 'br', 'del', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input'],
  ...['details', 'summary'],
]);

/** A stored transcript of `fixtures/` (real entries of the `claude` binary, anonymised). */
export function loadFixture(name: string): SessionStoreEntry[] {
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', name), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SessionStoreEntry);
}
