/**
 * A strict reader of the HTML the console's renderers produce, for tests: every `<` must open or
 * close a tag of `ALLOWED_TAGS` with double-quoted attributes of `ALLOWED_ATTRIBUTES` (the
 * renderers escape every other `<`), and no `href` may lead anywhere but http(s) or mailto. Returns
 * what is wrong (empty: safe). Not a general HTML parser: anything it does not know is a finding.
 */

const ALLOWED_TAGS = new Set([
  'p',
  'br',
  'a',
  'em',
  'strong',
  's',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'hr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'span',
  'details',
  'summary',
  'section',
  'article',
  'header',
  'div',
  'time',
  'dl',
  'dt',
  'dd',
]);
const ALLOWED_ATTRIBUTES = new Set([
  'href',
  'rel',
  'referrerpolicy',
  'title',
  'class',
  'start',
  'style',
  'datetime',
  'id',
  'aria-label',
  'data-turn',
  'open',
  'lang',
  'dir',
]);
const TAG = /^<(\/?)([a-z][a-z0-9]*)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*\/?>/;
const ATTRIBUTE = /\s+([a-z-]+)(?:="([^"]*)")?/g;

export function htmlFindings(html: string): string[] {
  const findings: string[] = [];
  let at = html.indexOf('<');
  while (at !== -1) {
    const match = TAG.exec(html.slice(at, at + 4000));
    if (!match) {
      findings.push(`stray "<" at ${at}: ${JSON.stringify(html.slice(at, at + 40))}`);
      at = html.indexOf('<', at + 1);
      continue;
    }
    const [whole, , name = '', attributes = ''] = match;
    if (!ALLOWED_TAGS.has(name)) findings.push(`tag <${name}>`);
    for (const [, attr = '', value = ''] of attributes.matchAll(ATTRIBUTE)) {
      if (!ALLOWED_ATTRIBUTES.has(attr) || /^on/.test(attr)) findings.push(`attribute ${attr} on <${name}>`);
      if (attr === 'style' && name !== 'td' && name !== 'th') findings.push(`style on <${name}>`);
      if (attr === 'href' && !/^(https?:\/\/|mailto:|#|\/)/i.test(decodeEntities(value).trim())) {
        findings.push(`href ${JSON.stringify(value)}`);
      }
    }
    at = html.indexOf('<', at + whole.length);
  }
  return findings;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]{1,6});?/gi, (_, hex: string) => codePoint(parseInt(hex, 16)))
    .replace(/&#(\d{1,7});?/g, (_, dec: string) => codePoint(Number(dec)))
    .replace(/&colon;/gi, ':')
    .replace(/&amp;/g, '&');
}

const codePoint = (n: number): string => (n <= 0x10ffff ? String.fromCodePoint(n) : '');
