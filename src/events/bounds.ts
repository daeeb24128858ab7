import { createHash } from 'node:crypto';
import type { ZodError } from 'zod';
import { EventFormatError } from './errors.js';

/** Limits every inbound body is held to before any format-specific parsing. */
export const BODY_BOUNDS = {
  maxDepth: 8,
  maxString: 64 * 1024,
  maxArray: 500,
  maxKeys: 200,
  maxKeyLength: 200,
} as const;

export const MIN_EVENT_TIME = Date.UTC(2000, 0, 1);
export const MAX_EVENT_TIME = Date.UTC(2200, 0, 1);

const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/**
 * Walks a parsed JSON body and throws `EventFormatError` naming the first field that breaks a
 * bound: nesting deeper than 8, a long string or key, a large array or object, a number that is
 * not finite (`1e400` parses to Infinity).
 */
export function assertBounded(value: unknown, path = '', depth = 0): void {
  if (typeof value === 'string') {
    if (value.length > BODY_BOUNDS.maxString)
      throw new EventFormatError(path, `is longer than ${BODY_BOUNDS.maxString} characters`);
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new EventFormatError(path, 'must be a finite number');
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= BODY_BOUNDS.maxDepth)
    throw new EventFormatError(path, `nests deeper than ${BODY_BOUNDS.maxDepth} levels`);
  if (Array.isArray(value)) {
    if (value.length > BODY_BOUNDS.maxArray)
      throw new EventFormatError(path, `has more than ${BODY_BOUNDS.maxArray} items`);
    value.forEach((item, i) => assertBounded(item, join(path, i), depth + 1));
    return;
  }
  const entries = Object.entries(value);
  if (entries.length > BODY_BOUNDS.maxKeys)
    throw new EventFormatError(path, `has more than ${BODY_BOUNDS.maxKeys} fields`);
  for (const [key, item] of entries) {
    if (key.length > BODY_BOUNDS.maxKeyLength)
      throw new EventFormatError(path, `has a field name longer than ${BODY_BOUNDS.maxKeyLength}`);
    assertBounded(item, join(path, key), depth + 1);
  }
}

/**
 * Epoch ms of an ISO time (CloudWatch's `+0000` offsets too) or of a number, whole (a fraction of a
 * millisecond is dropped: the work item's `occurredAt` is an integer), or undefined when not 2000–2200.
 */
export function parseEventTime(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && value.length <= 40) {
    ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  } else return undefined;
  return Number.isFinite(ms) && ms >= MIN_EVENT_TIME && ms < MAX_EVENT_TIME ? Math.floor(ms) : undefined;
}

/** One line: control characters and runs of whitespace become one space; cut to `max` with `…`. */
export function oneLine(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f\u2028\u2029\s]+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Any JSON value as a short one-line string (objects as compact JSON). */
export function textOf(value: unknown, max: number): string {
  if (value === undefined || value === null) return '';
  return oneLine(typeof value === 'string' ? value : JSON.stringify(value), max);
}

/** The 32-hex event id: a SHA-256 prefix of what identifies the state change. */
export function eventIdOf(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts), 'utf8').digest('hex').slice(0, 32);
}

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Parses with a zod schema; the first issue becomes an `EventFormatError` naming its field. */
export function parseOrThrow<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  value: unknown,
  prefix = '',
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const segments = issue?.path ?? [];
  let field = prefix;
  for (const s of segments) field = join(field, typeof s === 'number' ? s : String(s));
  if (issue?.code === 'unrecognized_keys') field = join(field, issue.keys[0] ?? '');
  throw new EventFormatError(field, (issue?.message ?? 'is invalid').replace(/^Invalid input: /, ''));
}
