import { z } from 'zod';

/**
 * A record (object used as a map) with at most `maxKeys` keys. zod has no key-count check for
 * records, so it is a refinement, and the bound is also declared as `maxProperties` metadata so it
 * shows in the schema's JSON Schema (the bounds audit of the hostile-input suite reads it).
 */
export function boundedRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(
  key: K,
  value: V,
  maxKeys: number,
  params?: { error?: string },
) {
  return z
    .record(key, value, params)
    .refine((record) => Object.keys(record).length <= maxKeys, `at most ${maxKeys} entries`)
    .meta({ maxProperties: maxKeys });
}

/** A string of at most `max` characters, with the message every boundary uses for it. */
export function boundedText(max: number) {
  return z.string().max(max, `must be at most ${max} characters`);
}
