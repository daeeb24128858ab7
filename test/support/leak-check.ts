/**
 * Shared pieces of tests that prove a secret never leaks: the encodings a value may take on its way
 * out, and a capture of everything the process writes to stdout/stderr (the default logger writes
 * to stderr).
 */

/** The forms a value may take on its way out: verbatim, JSON-escaped, URL-encoded, base64, base64url. */
export function secretForms(value: string): string[] {
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
  ];
}

/** Captures every write to stdout/stderr (still passed through) until `stop()`. */
export function captureOutput(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const wrap =
    (original: typeof process.stdout.write) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = wrap(out) as typeof process.stdout.write;
  process.stderr.write = wrap(err) as typeof process.stderr.write;
  return {
    lines,
    stop() {
      process.stdout.write = out;
      process.stderr.write = err;
    },
  };
}
