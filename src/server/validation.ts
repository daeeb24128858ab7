import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError, type ApiFieldIssue } from './errors.js';

/** Reads the body as JSON: 400 `malformed_json` when it is not JSON (the size limit ran before). */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim().length === 0)
    throw new ApiError(400, 'malformed_json', 'request body must be a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'malformed_json', 'request body is not valid JSON');
  }
}

/** Validates with zod: 400 `invalid_request` listing every failed field path. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: ApiFieldIssue[] = result.error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // A strict object's extra fields: one issue per field, each named by its own path.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({ path: [...at, k].join('.'), message: 'unknown field' }));
    return [{ path: at.join('.') || '(body)', message: issue.message }];
  });
  const fields = [...new Set(issues.map((i) => i.path))].join(', ');
  throw new ApiError(400, 'invalid_request', `invalid request body: ${fields}`, issues);
}
