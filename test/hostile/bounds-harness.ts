import fc from 'fast-check';
import type { z } from 'zod';
import { ConfigError, errorMessage } from '../../src/core/errors.js';
import { RUNS, createFigures, since, type Figures, yieldToEventLoop } from './figures.js';
import { namesBrokenField, schemaCases, type CaseOptions, type SchemaCase } from './schema-cases.js';

/**
 * One property per configuration boundary (issue 18): cases derived from the boundary's own
 * schema go through its real loader and, when accepted, through what consumes the result. Accepted
 * input must be usable (the consumer check must not throw); refused input must be a `ConfigError`
 * naming the broken field. A valid case may also be refused by a check the JSON Schema cannot
 * express (an inline-secret heuristic, a cross-field rule): only with one of the messages in
 * `refinements`, and still naming a field.
 */
export interface ConfigBoundary<T> {
  suite: string;
  schema: z.ZodType;
  seed: number;
  /**
   * Adjust a case before it is written (e.g. point `configDir` at a folder that exists); undefined
   * skips a case the boundary cannot express (a wrong JSON type in an environment of strings).
   */
  prepare?: (c: SchemaCase) => SchemaCase | undefined;
  /** The real loader on the case's value. */
  load: (value: unknown) => Promise<T> | T;
  /** What consumes an accepted config; throws when it cannot use it. Returns input-class tags. */
  use: (config: T, value: unknown) => Promise<string[] | void> | string[] | void;
  /** Messages of checks the JSON Schema cannot express that may refuse a schema-valid case. */
  refinements?: RegExp;
  /** The dotted path of a reported field (`a.b[0]` → `a.b.0`, prefixes removed). */
  fieldPath?: (field: string, file: string) => string;
  runs?: number;
  /** Generator options (smaller typical sizes keep a slow loader's suite in seconds; bounds are always tried). */
  options?: CaseOptions;
}

/** `tenants.acme.api.tokens[0]` → `tenants.acme.api.tokens.0`. */
export const dotted = (field: string): string => field.replace(/\[(\d+)\]/g, '.$1');

export async function checkConfigBoundary<T>(b: ConfigBoundary<T>): Promise<Figures> {
  const figures = createFigures(b.suite);
  const toPath = b.fieldPath ?? ((field: string) => dotted(field));
  const failed = (reason: string): string => {
    figures.fail(reason);
    return 'FAILED';
  };
  try {
    await fc.assert(
      fc.asyncProperty(schemaCases(b.schema, b.options), async (raw) => {
        await yieldToEventLoop();
        const c = b.prepare ? b.prepare(raw) : raw;
        if (c === undefined) {
          figures.record('skipped (not expressible here)', 0);
          return true;
        }
        const started = performance.now();
        let label: string;
        let tags: string[] = [];
        let loaded: T | undefined;
        let error: unknown;
        try {
          loaded = await b.load(c.value);
        } catch (err) {
          error = err;
        }
        const what = c.kind === 'valid' ? 'valid' : `${c.broke} at ${c.path || '(root)'}`;
        if (error === undefined) {
          if (c.kind === 'invalid') {
            label = failed(`accepted: ${what} ${JSON.stringify(c.value).slice(0, 200)}`);
          } else {
            try {
              tags = (await b.use(loaded as T, c.value)) ?? [];
              label = 'valid → accepted and used';
            } catch (err) {
              label = failed(
                `accepted but unusable: ${errorMessage(err)} ${JSON.stringify(c.value).slice(0, 200)}`,
              );
            }
          }
        } else if (!(error instanceof ConfigError)) {
          label = failed(`${what}: not a ConfigError: ${errorMessage(error)}`);
        } else {
          const fields = error.issues.map((i) => toPath(i.field, i.file));
          if (error.issues.some((i) => i.message.trim() === '' || i.file === ''))
            label = failed(`${what}: an issue without file or message`);
          else if (c.kind === 'invalid') {
            label = namesBrokenField(fields, c.path)
              ? 'invalid → refused naming the field'
              : failed(`${what}: refused naming ${JSON.stringify(fields)}`);
          } else if (b.refinements && error.issues.every((i) => b.refinements?.test(i.message))) {
            label = `valid → refused by a refinement (${b.refinements.exec(error.issues[0]?.message ?? '')?.[0]})`;
          } else {
            label = failed(`valid refused: ${error.message.slice(0, 300)}`);
          }
        }
        figures.record(label, since(started), [
          c.kind,
          ...(c.kind === 'invalid' ? [c.broke.replace(/ .*/, '')] : []),
          ...tags,
        ]);
        return label !== 'FAILED';
      }),
      { numRuns: b.runs ?? RUNS, seed: b.seed, endOnFailure: true },
    );
  } finally {
    const h = figures.histogram();
    const accepted = h['valid → accepted and used'] ?? 0;
    const skipped = h['skipped (not expressible here)'] ?? 0;
    figures.print({ 'accepted / refused': `${accepted} / ${figures.cases - accepted - skipped}` });
  }
  return figures;
}
