/**
 * Structured JSON logger (one line per event). Fields named like secrets are redacted, and secret
 * values (given at creation or later with `addSecrets`) are masked wherever they appear, so a token
 * never reaches a log line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Mask these values from now on, in this logger and every logger derived from it (and its parent). */
  addSecrets?(values: readonly (string | undefined)[]): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD_RE = /token|secret|password|authorization|api[_-]?key|credential/i;

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; default stderr (stdout belongs to the CLI's output). */
  write?: (line: string) => void;
  /** Secret values to mask wherever they appear in a line. */
  secrets?: readonly string[];
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Shared by every child: a secret learned late (e.g. from a tenant's mcp.json) is masked everywhere.
  const secrets: string[] = [];
  const addSecrets = (values: readonly (string | undefined)[]): void => {
    for (const v of values)
      if (typeof v === 'string' && v.length >= 6 && !secrets.includes(v)) secrets.push(v);
    secrets.sort((a, b) => b.length - a.length); // longest first, so a secret containing another is fully masked
  };
  addSecrets(options.secrets ?? []);

  const scrub = (line: string): string =>
    secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), line);

  const make = (base: Record<string, unknown>): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
      if (LEVELS[level] < min) return;
      const record: Record<string, unknown> = { level, time: new Date().toISOString(), msg, ...base };
      for (const [k, v] of Object.entries(fields ?? {})) {
        record[k] = SECRET_FIELD_RE.test(k) ? '[redacted]' : v instanceof Error ? v.message : v;
      }
      write(scrub(JSON.stringify(record)));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
      addSecrets,
    };
  };
  return make(options.base ?? {});
}

/** A logger that drops everything (tests, quiet CLI). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
