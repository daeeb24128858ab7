import type { Context } from 'hono';
import { z } from 'zod';
import type { ExportFormat } from '../../conversations/types.js';
import { InvalidIdError } from '../../core/errors.js';
import { SETTING_RE } from '../../sessions/settings.js';
import { ApiError } from '../errors.js';
import { readJson, validate } from '../validation.js';

/** Query parameters and bodies of the session routes, each refused with a 400 naming the field. */

const invalidQuery = (field: string, message: string): ApiError =>
  new ApiError(400, 'invalid_request', `invalid query parameter: ${field}`, [{ path: field, message }]);

/** `?limit=` as an integer 1..max (digits only: `1e3`, `-1`, `0x10` are refused), else `fallback`. */
export function queryLimit(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const limit = /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= max)) throw invalidQuery('limit', `must be an integer from 1 to ${max}`);
  return limit;
}

export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'md'];

/** `?format=jsonl|md` (default `jsonl`, like `…/transcript`). */
export function queryFormat(value: string | undefined): ExportFormat {
  if (value === undefined) return 'jsonl';
  const format = EXPORT_FORMATS.find((f) => f === value);
  if (!format) throw invalidQuery('format', `must be one of: ${EXPORT_FORMATS.join(', ')}`);
  return format;
}

/** `GET …/transcript?format=jsonl|json` (default `jsonl`): any other value is a 400, never silently JSONL. */
export function transcriptFormat(value: string | undefined): 'jsonl' | 'json' {
  if (value === undefined || value === 'jsonl') return 'jsonl';
  if (value === 'json') return 'json';
  throw invalidQuery('format', 'must be one of: jsonl, json');
}

/**
 * A query parameter read by an id parser (`parseChatId`, `parseSubpath`…): absent stays undefined;
 * a malformed one stays a 400 `invalid_id`, now naming the parameter like every other field.
 */
export function queryId<T>(field: string, value: string | undefined, parse: (v: string) => T): T | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (err) {
    if (!(err instanceof InvalidIdError)) throw err;
    throw new ApiError(400, 'invalid_id', err.message, [{ path: field, message: err.message }]);
  }
}

/** A query parameter that must not be empty when given (`?chat=` is a mistake, not "any chat"). */
export function queryValue(c: Context, field: string): string | undefined {
  const value = c.req.query(field);
  if (value === '') throw invalidQuery(field, 'must not be empty');
  return value;
}

/** `?thread=` only narrows `?chat=`: alone it would list one thread of every chat. */
export function threadNeedsChat(): ApiError {
  return invalidQuery('thread', 'only together with chat');
}

/**
 * A body that carries nothing (the switch route takes its id from the path): empty, or a JSON
 * object without fields. Anything else is refused so a misplaced field is never silently ignored.
 */
export async function readEmptyBody(c: Context): Promise<void> {
  if ((await c.req.text()).trim() === '') return; // Hono caches the body for readJson
  validate(z.strictObject({}), await readJson(c));
}

const SETTING = z
  .string({ error: 'must be a string (a model alias or agent name) or null' })
  .min(1, 'must not be empty; null clears it')
  .max(200, 'at most 200 characters')
  .regex(SETTING_RE, 'use 1–200 characters A-Z, a-z, 0-9 and . _ : / @ [ ] -')
  .nullable()
  .optional();

/** `PATCH …/settings`: a value sets, `null` clears (the tenant's default), absent leaves. */
export const SETTINGS_PATCH = z.strictObject({ model: SETTING, agent: SETTING });
