import fc from 'fast-check';

/**
 * Generators of hostile input shared by the suites: id/path segments built to escape a namespace,
 * texts with control characters and unicode tricks, malformed JSON, deep nesting, huge bodies.
 */

/** Segments aimed at a tenant/chat/thread slot. Some are meant raw in a URL, some pre-encoded. */
export const TRAVERSAL_SEGMENTS: readonly string[] = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '..%2f..',
  '..%2F..%2Facme',
  '%2e%2e%2f%2e%2e',
  '..%5c..',
  '%252e%252e',
  '%c0%ae%c0%ae',
  'default%00',
  '%00',
  'acme%2Fmain',
  'a%2Fb',
  'default%0a',
  'default%0d%0aX-Injected:%201',
  'DEFAULT',
  'Default',
  ' default',
  'default ',
  'default.',
  'default-',
  '-default',
  'default:acme',
  'default#x',
  'default;drop%20table%20conversations',
  "'%20OR%201=1--",
  '%22%3E%3Cscript%3E',
  '*',
  '%2A',
  '__proto__',
  'constructor',
  'prototype',
  'tenants',
  'sessions',
  'd%D0%B5fault', // Cyrillic е
  'acm%D0%B5',
  '%E2%80%AEdefault', // RTL override
  'default%E2%80%8F', // RTL mark
  '%E2%80%8Bdefault', // zero-width space
  '%EF%BC%8E%EF%BC%8E', // fullwidth dots
  '%E2%80%A4%E2%80%A4', // one-dot leaders
  '%EF%BC%8F', // fullwidth solidus
  '%C3%A9',
  'a'.repeat(33),
  'a'.repeat(65),
  'a'.repeat(300),
  '9'.repeat(400),
  '-1',
  '--1',
  '1e309',
  'NaN',
  'null',
  'undefined',
];

/** Unicode tricks for texts and ids (raw, unencoded). */
export const UNICODE_TRICKS: readonly string[] = [
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\r\n',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u200f',
  '\u200b',
  '\ufeff',
  '\uffff',
  '\ud800', // lone surrogate
  '\udfff',
  '\u{1f600}',
  'е', // Cyrillic
  '＼',
  '／',
  '．．',
  'ﬀ',
  'İ',
  '\u0301\u0301\u0301',
];

/** A text mixing printable text with control characters and unicode tricks. */
export const trickyText = (maxLength = 200): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 3 },
        { arbitrary: fc.constantFrom(...UNICODE_TRICKS), weight: 2 },
        { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), weight: 3 },
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('').slice(0, maxLength));

/** A value for an id slot: well-formed, hostile constant, random, or of the wrong JSON type. */
export const hostileIdValue = (valid: readonly (string | number)[], validWeight = 6): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: validWeight },
    { arbitrary: fc.constantFrom(...TRAVERSAL_SEGMENTS.map(decodeLoosely)), weight: 3 },
    { arbitrary: trickyText(80), weight: 2 },
    { arbitrary: fc.integer(), weight: 1 },
    { arbitrary: fc.double(), weight: 1 },
    { arbitrary: fc.constantFrom(null, true, [], {}, ['1'], { id: 1 }), weight: 1 },
  );

/** Decode a pre-encoded segment (falls back to the raw text when it is not valid percent-encoding). */
export function decodeLoosely(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A path segment for a URL: a traversal constant as written, or a random string percent-encoded. */
export const hostileSegment = (valid: readonly string[], validWeight = 6): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: validWeight },
    { arbitrary: fc.constantFrom(...TRAVERSAL_SEGMENTS), weight: 4 },
    { arbitrary: trickyText(100).map(encodeSegment), weight: 2 },
  );

/** `encodeURIComponent` that survives lone surrogates (encoded as U+FFFD like a browser would). */
export function encodeSegment(text: string): string {
  return encodeURIComponent(text.replace(LONE_SURROGATE_RE, '\ufffd'));
}

const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels. */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Deep nesting, from a few hundred to 100k levels. */
export const deepBody: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(500, 10_000, 10_000, 100_000), fc.constantFrom('array' as const, 'object' as const))
  .map(([depth, kind]) => deepJson(depth, kind));

/** Strings that are not JSON, or almost JSON. */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"update_id":',
    '{"update_id":1,}',
    "{'update_id':1}",
    '{"update_id":1} trailing',
    '\ufeff{"update_id":1}',
    'NaN',
    'Infinity',
    '{"update_id":1e400}',
    '{"__proto__":{"polluted":true},"update_id":1}',
    '{"constructor":{"prototype":{"polluted":true}},"update_id":1}',
    '[1,2',
    '"unterminated',
    '\u0000',
    '{"a":"\\ud800"}',
  ),
  fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
);

/** A few distinct > 1 MiB bodies, built once (generating them per case would dominate the run). */
export function hugeBodies(valid: string): string[] {
  const mib = 1024 * 1024;
  return [
    'x'.repeat(mib + 1),
    JSON.stringify({ update_id: 1, padding: 'y'.repeat(mib + 10) }),
    `${valid.slice(0, -1)},"pad":"${'z'.repeat(2 * mib)}"}`,
    JSON.stringify(Array.from({ length: 150_000 }, (_, i) => i)),
  ];
}
