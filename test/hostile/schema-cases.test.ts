import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundedRecord } from '../../src/core/schema-bounds.js';
import { boundIssues, namesBrokenField, schemaCases } from './schema-cases.js';

/** The generator itself: its valid cases parse, its invalid ones fail at the path it says it broke. */

const SAMPLE = z.strictObject({
  name: z.string().min(1).max(20),
  count: z.number().int().min(0).max(1000),
  ratio: z.number().gt(0).lte(1).optional(),
  kind: z.enum(['a', 'b']),
  id: z.union([z.string().min(1).max(64), z.number().int().min(1).max(1e12)]),
  tags: z.array(z.string().max(10)).max(5),
  nested: z.object({ when: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), on: z.boolean() }).optional(),
  map: boundedRecord(z.string().max(8), z.number().min(0).max(9), 6).optional(),
  maybe: z.string().max(3).nullish(),
});

function zodPaths(error: z.ZodError): string[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => [...i.path, k].join('.'))
      : [i.path.map(String).join('.')],
  );
}

describe('schema cases', () => {
  it('valid cases parse; invalid cases are refused naming the broken field', () => {
    let valid = 0;
    let invalid = 0;
    const broke = new Set<string>();
    fc.assert(
      fc.property(schemaCases(SAMPLE), (c) => {
        const result = SAMPLE.safeParse(c.value);
        if (c.kind === 'valid') {
          valid++;
          expect(result.error?.issues ?? []).toEqual([]);
        } else {
          invalid++;
          broke.add(c.broke.replace(/ .*/, ''));
          expect(result.success, `${c.broke} at ${c.path}`).toBe(false);
          expect(
            namesBrokenField(zodPaths(result.error as z.ZodError), c.path),
            `${c.broke} at ${c.path}`,
          ).toBe(true);
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
    expect(valid).toBeGreaterThan(500);
    expect(invalid).toBeGreaterThan(500);
    // Every kind of break the generator knows shows up on this schema.
    expect([...broke].sort()).toEqual(
      [
        'enum',
        'exclusiveMinimum',
        'integer',
        'maxItems',
        'maxLength',
        'maximum',
        'minLength',
        'minimum',
        'required',
        'type',
        'unknown',
      ].sort(),
    );
  });

  it('bounds audit: the sample is bounded; each unbounded spot is named', () => {
    expect(boundIssues(SAMPLE)).toEqual([]);
    const loose = z.object({
      text: z.string(),
      n: z.number().min(0),
      list: z.array(z.string().max(3)),
      map: z.record(z.string(), z.string().max(3)),
      blob: z.unknown(),
      id: z.string().regex(/^[a-z]+$/),
      ok: z.string().regex(/^[a-z]{1,8}$/),
    });
    expect(boundIssues(loose)).toEqual([
      { path: 'text', problem: 'string without maxLength' },
      { path: 'n', problem: 'number without maximum' },
      { path: 'list', problem: 'array without maxItems' },
      { path: 'map', problem: 'record without a maximum number of keys' },
      { path: 'map.{key}', problem: 'string without maxLength' },
      { path: 'blob', problem: 'accepts anything (no type)' },
      { path: 'id', problem: 'string without maxLength' },
    ]);
    expect(boundIssues(loose, { text: 'body size limit', blob: 'checked later' })).toHaveLength(5);
  });

  it('a path names the broken field, a union or object above it, never a sibling', () => {
    expect(namesBrokenField(['a.b'], 'a.b')).toBe(true);
    expect(namesBrokenField(['a'], 'a.b.c')).toBe(true);
    expect(namesBrokenField(['(body)'], 'a')).toBe(true);
    expect(namesBrokenField(['a.c'], 'a.b')).toBe(false);
    expect(namesBrokenField(['ab'], 'a')).toBe(false);
    expect(namesBrokenField([], 'a')).toBe(false);
  });
});
