import type { IssueList } from './issues.js';

/** The environment `${VAR}` references resolve against — injected, never `process.env` read here. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

const REF_RE = /\$\{([^}]*)\}/g;
const INNER_RE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replaces `${NAME}` (and `${NAME:-default}`, used when NAME is unset or empty) in `value`.
 * Each missing variable or malformed reference adds one issue at `file`/`field`; the result is
 * undefined when any was found. Every value taken from `env` is pushed to `at.taken` when given:
 * those may be credentials (`Bearer ${TOKEN}`), and the caller masks them on their own.
 */
export function interpolate(
  value: string,
  env: EnvRecord,
  at: { file: string; field: string; issues: IssueList; taken?: string[] },
): string | undefined {
  let ok = true;
  const out = value.replace(REF_RE, (whole, inner: string) => {
    const m = INNER_RE.exec(inner);
    if (!m) {
      at.issues.add(
        at.file,
        at.field,
        `malformed variable reference ${whole}: use \${NAME} or \${NAME:-default}`,
      );
      ok = false;
      return whole;
    }
    const name = m[1] as string;
    const fallback = m[2];
    const current = env[name];
    if (fallback !== undefined && (current === undefined || current === '')) return fallback;
    if (current === undefined) {
      at.issues.add(at.file, at.field, `environment variable ${name} is not set`);
      ok = false;
      return whole;
    }
    at.taken?.push(current);
    return current;
  });
  if (ok && value.replace(REF_RE, '').includes('${')) {
    at.issues.add(at.file, at.field, 'unterminated variable reference: "${" without a closing "}"');
    ok = false;
  }
  return ok ? out : undefined;
}

/** True when `value` contains a `${…}` reference (used to skip checks on unresolved values). */
export function hasReference(value: string): boolean {
  return value.includes('${');
}
