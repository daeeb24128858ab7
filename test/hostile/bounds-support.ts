import { namesBrokenField, type SchemaCase } from './schema-cases.js';
import { STACK_TRACE_RE } from './figures.js';

/**
 * The one rule of the bounds suites (issue 18), for a case derived from a boundary's schema and
 * the reply of the real route: an accepted case is handled (a 2xx, or a refusal the route's own
 * domain makes, listed by the caller), never a 5xx; a refused case is a 4xx whose issues name the
 * broken field. Returns the outcome label for the figures and the problem, if any.
 */
export interface Judged {
  label: string;
  problem?: string;
}

export interface Reply {
  status: number;
  text: string;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; issues?: Array<{ path?: unknown }> };
}

/** The error code and the field paths an error reply names (`issues[].path`). */
export function errorOf(text: string): { code: string; paths: string[] } | undefined {
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (typeof body.error?.code !== 'string') return undefined;
    const paths = (body.error.issues ?? []).map((i) => String(i.path ?? ''));
    return { code: body.error.code, paths };
  } catch {
    return undefined;
  }
}

/**
 * `domain`: refusals a valid case may still get, as `status code` labels (`404 approval_not_found`,
 * `400 unknown_model`…) — the route's own rules beyond the schema, each a clear 4xx.
 */
export function judge(c: SchemaCase, reply: Reply, domain: readonly string[] = []): Judged {
  const error = reply.status >= 400 ? errorOf(reply.text) : undefined;
  const label = `${c.kind} ${reply.status}${error ? ` ${error.code}` : ''}`;
  const problems: string[] = [];
  if (reply.status >= 500) problems.push(`status ${reply.status}: ${reply.text.slice(0, 300)}`);
  if (STACK_TRACE_RE.test(reply.text)) problems.push('stack trace in the body');
  if (reply.status >= 400 && !error)
    problems.push(`error body not { error: { code } }: ${reply.text.slice(0, 200)}`);
  if (c.kind === 'valid') {
    if (
      reply.status >= 400 &&
      reply.status < 500 &&
      error &&
      !domain.includes(`${reply.status} ${error.code}`)
    )
      problems.push(`accepted input refused: ${reply.text.slice(0, 300)}`);
  } else {
    if (reply.status < 400 || reply.status >= 500) problems.push(`refused input answered ${reply.status}`);
    else if (error && !namesBrokenField(error.paths, c.path))
      problems.push(
        `broke ${c.broke} at ${c.path || '(root)'}, the reply names ${JSON.stringify(error.paths)}`,
      );
  }
  return problems.length > 0 ? { label, problem: problems.join('; ') } : { label };
}
