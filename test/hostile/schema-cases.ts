import fc from 'fast-check';
import { z } from 'zod';

/**
 * Cases derived from a boundary's own zod schema (through its JSON Schema, `z.toJSONSchema`):
 * values the schema should accept, biased to its bounds (every length at its minimum and maximum,
 * every number at its limits), and values that break exactly one constraint at a known path (one
 * past a bound, a wrong type, a missing required field, an unknown field of a strict object). A
 * boundary's property test feeds both through its real handler: accepted input must be handled
 * without an internal error, refused input must be refused naming the broken field (or a union /
 * object above it). `boundIssues` is the audit: every number, string, array and record of a
 * boundary schema must have an upper bound.
 */

/** The JSON Schema subset zod 4 emits. */
export interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  maxProperties?: number;
  minProperties?: number;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

export type SchemaCase =
  | { kind: 'valid'; value: unknown }
  /** `path`: where the one broken constraint is (`a.b.0.c`, `` for the root); `broke`: which one. */
  | { kind: 'invalid'; value: unknown; path: string; broke: string };

export interface CaseOptions {
  /** Longest string generated away from a bound (bounds themselves are always tried). Default 40. */
  typicalLength?: number;
  /** Longest string ever built, even when a bound allows more (a 100 MB body proves nothing more). Default 200,000. */
  longest?: number;
  /** Most array items or record keys away from a bound. Default 4. */
  typicalItems?: number;
}

/** The JSON Schema of what a boundary reads (the input side of transforms and defaults). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', cycles: 'ref' }) as JsonSchema;
}

/** Valid and one-constraint-broken cases of `schema`, about half each. */
export function schemaCases(schema: z.ZodType, options: CaseOptions = {}): fc.Arbitrary<SchemaCase> {
  const root = jsonSchemaOf(schema);
  const gen = new Generator(root, options);
  const valid = gen.valid(root).map((value): SchemaCase => ({ kind: 'valid', value }));
  const invalid = gen.invalid(root);
  if (!invalid) return valid;
  return fc.oneof(
    valid,
    invalid.map(({ value, path, broke }): SchemaCase => ({
      kind: 'invalid',
      value,
      path: path.join('.'),
      broke,
    })),
  );
}

/** Values `schema` should accept (refinements zod cannot express in JSON Schema may still refuse some). */
export function validValues(schema: z.ZodType, options: CaseOptions = {}): fc.Arbitrary<unknown> {
  const root = jsonSchemaOf(schema);
  return new Generator(root, options).valid(root);
}

interface Broken {
  value: unknown;
  path: string[];
  broke: string;
}

const SAFE = Number.MAX_SAFE_INTEGER;

class Generator {
  private readonly typicalLength: number;
  private readonly longest: number;
  private readonly typicalItems: number;

  constructor(
    private readonly root: JsonSchema,
    options: CaseOptions,
  ) {
    this.typicalLength = options.typicalLength ?? 40;
    this.longest = options.longest ?? 200_000;
    this.typicalItems = options.typicalItems ?? 4;
  }

  private resolve(node: JsonSchema): JsonSchema {
    if (!node.$ref) return node;
    const name = node.$ref.replace(/^#\/\$defs\//, '');
    const target = node.$ref === '#' ? this.root : this.root.$defs?.[name];
    if (!target) throw new Error(`schema-cases: unresolved $ref ${node.$ref}`);
    return target;
  }

  valid(input: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const node = this.resolve(input);
    if ('const' in node) return fc.constant(node.const);
    if (node.enum) return fc.constantFrom(...node.enum);
    const branches = node.anyOf ?? node.oneOf;
    if (branches) return fc.oneof(...branches.map((b) => this.valid(b, depth)));
    if (node.allOf?.length) return this.valid(node.allOf[0] as JsonSchema, depth);
    const type = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
    if (type.length > 1) return fc.oneof(...type.map((t) => this.valid({ ...node, type: t }, depth)));
    switch (type[0]) {
      case 'string':
        return this.validString(node);
      case 'integer':
        return this.validNumber(node, true);
      case 'number':
        return this.validNumber(node, false);
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return this.validArray(node, depth);
      case 'object':
        return this.validObject(node, depth);
      default:
        // `{}`: anything (an `unknown` field, or a transform zod cannot describe).
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  private validString(node: JsonSchema): fc.Arbitrary<string> {
    const min = node.minLength ?? 0;
    const max = Math.min(node.maxLength ?? this.longest, this.longest);
    const inRange = (s: string) => s.length >= min && s.length <= (node.maxLength ?? Infinity);
    if (node.pattern) {
      const re = new RegExp(node.pattern, 'u');
      return fc.stringMatching(re).filter(inRange);
    }
    if (node.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    if (node.format === 'uuid') return fc.uuid({ version: 4 });
    if (node.format === 'email') return fc.emailAddress();
    if (node.format === 'uri' || node.format === 'url') return fc.webUrl();
    const typical = Math.max(min, Math.min(max, this.typicalLength));
    const filled = (n: number) => fc.string({ minLength: 1, maxLength: 1 }).map((c) => c.repeat(n));
    // Lengths count UTF-16 code units, as zod does; a grapheme may be several.
    return fc.oneof(
      { arbitrary: fc.string({ minLength: min, maxLength: typical }).filter(inRange), weight: 4 },
      {
        arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: typical }).filter(inRange),
        weight: 1,
      },
      { arbitrary: filled(Math.max(min, 0)).filter(inRange), weight: 1 },
      { arbitrary: filled(max).filter(inRange), weight: 1 },
    );
  }

  private validNumber(node: JsonSchema, integer: boolean): fc.Arbitrary<number> {
    let min = node.minimum ?? -Number.MAX_VALUE;
    let max = node.maximum ?? Number.MAX_VALUE;
    if (node.exclusiveMinimum !== undefined)
      min = integer ? node.exclusiveMinimum + 1 : nextUp(node.exclusiveMinimum);
    if (node.exclusiveMaximum !== undefined)
      max = integer ? node.exclusiveMaximum - 1 : nextDown(node.exclusiveMaximum);
    if (integer) {
      min = Math.max(Math.ceil(min), -SAFE);
      max = Math.min(Math.floor(max), SAFE);
      const edges = [min, max, ...(min <= 0 && max >= 0 ? [0] : []), Math.min(max, min + 1)];
      // Small numbers when the range has any (a range such as epoch ms of 2000–2200 has none).
      const small = { min: Math.max(min, -1000), max: Math.min(max, 1000) };
      return fc.oneof(
        fc.constantFrom(...edges),
        fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number),
        ...(small.min <= small.max ? [fc.integer(small)] : []),
      );
    }
    const edges = [min, max, ...(min <= 0 && max >= 0 ? [0] : [])];
    return fc.oneof(
      fc.constantFrom(...edges),
      fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    );
  }

  private validArray(node: JsonSchema, depth: number): fc.Arbitrary<unknown[]> {
    const min = node.minItems ?? 0;
    const max = node.maxItems ?? Math.max(min, this.typicalItems) + 50;
    if (node.prefixItems) {
      return fc.tuple(...node.prefixItems.map((p) => this.valid(p, depth + 1)));
    }
    const item = node.items ? this.valid(node.items, depth + 1) : fc.jsonValue({ maxDepth: 1 });
    const typical = Math.max(min, Math.min(max, this.typicalItems));
    return fc.oneof(
      { arbitrary: fc.array(item, { minLength: min, maxLength: typical }), weight: 4 },
      { arbitrary: fc.array(item, { minLength: max, maxLength: max }), weight: max <= 200 ? 1 : 0 },
    );
  }

  private validObject(node: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const properties = node.properties ?? {};
    const required = new Set(node.required ?? []);
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [key, sub] of Object.entries(properties)) fields[key] = this.valid(sub, depth + 1);
    const known = fc.record(fields, { requiredKeys: [...required].filter((k) => k in properties) });
    const extra = node.additionalProperties;
    if (extra && typeof extra === 'object') {
      const keyNode = node.propertyNames ?? { type: 'string', minLength: 1, maxLength: 20 };
      const keys = this.valid(keyNode, depth + 1) as fc.Arbitrary<string>;
      const minKeys = node.minProperties ?? 0;
      const maxKeys = Math.max(minKeys, Math.min(node.maxProperties ?? this.typicalItems, this.typicalItems));
      return fc
        .tuple(
          known,
          fc.dictionary(keys, this.valid(extra, depth + 1), { minKeys, maxKeys, noNullPrototype: true }),
        )
        .map(([a, b]) => ({ ...b, ...a }));
    }
    return known;
  }

  /** One broken constraint somewhere in a value of `node`; undefined when nothing can be broken. */
  invalid(input: JsonSchema, depth = 0, wrongType = true): fc.Arbitrary<Broken> | undefined {
    const node = this.resolve(input);
    const own = this.brokenHere(node, wrongType);
    const inner = depth < 6 ? this.brokenInside(node, depth) : [];
    const all = [...own, ...inner];
    return all.length > 0 ? fc.oneof(...all) : undefined;
  }

  /** Breaks at this node: a wrong type, one past a bound, a value outside an enum. */
  private brokenHere(node: JsonSchema, wrongType: boolean): fc.Arbitrary<Broken>[] {
    const out: fc.Arbitrary<Broken>[] = [];
    const at = (value: unknown, broke: string) => fc.constant<Broken>({ value, path: [], broke });
    const types = typesAccepted(node, (n) => this.resolve(n));
    if (wrongType && types && !types.has('any')) {
      const wrong = WRONG_TYPES.find(([t]) => !types.has(t) && !(t === 'integer' && types.has('number')));
      if (wrong) out.push(at(wrong[1], `type (${wrong[0]} where ${[...types].join('|')} is expected)`));
    }
    if (node.enum || 'const' in node) out.push(at('\u0000not-a-choice', 'enum'));
    const type = Array.isArray(node.type) ? undefined : node.type;
    if (type === 'string') {
      if (node.maxLength !== undefined && node.maxLength < this.longest)
        out.push(at('x'.repeat(node.maxLength + 1), `maxLength ${node.maxLength}`));
      if (node.minLength) out.push(at('x'.repeat(node.minLength - 1), `minLength ${node.minLength}`));
    }
    if (type === 'number' || type === 'integer') {
      // No JSON number is past ±Number.MAX_VALUE: such a bound (any finite number) cannot be broken.
      if (node.maximum !== undefined && node.maximum < Number.MAX_VALUE)
        out.push(at(biggerThan(node.maximum), `maximum ${node.maximum}`));
      if (node.exclusiveMaximum !== undefined)
        out.push(at(node.exclusiveMaximum, `exclusiveMaximum ${node.exclusiveMaximum}`));
      if (node.minimum !== undefined && node.minimum > -Number.MAX_VALUE)
        out.push(at(smallerThan(node.minimum), `minimum ${node.minimum}`));
      if (node.exclusiveMinimum !== undefined)
        out.push(at(node.exclusiveMinimum, `exclusiveMinimum ${node.exclusiveMinimum}`));
      if (type === 'integer') out.push(at(fractionNear(node), 'integer'));
    }
    if (type === 'array' && node.maxItems !== undefined && node.maxItems <= 10_000) {
      const item = node.items ? this.valid(node.items) : fc.constant(0);
      const n = node.maxItems + 1;
      out.push(
        fc
          .array(item, { minLength: n, maxLength: n })
          .map((value) => ({ value, path: [], broke: `maxItems ${n - 1}` })),
      );
    }
    if (type === 'object') {
      for (const key of node.required ?? []) {
        out.push(
          this.validObject(node, 0).map((value) => {
            const copy = { ...value };
            delete copy[key];
            return { value: copy, path: [key], broke: 'required' };
          }),
        );
      }
      if (node.additionalProperties === false) {
        out.push(
          this.validObject(node, 0).map((value) => ({
            value: { ...value, zz_unknown_field: 1 },
            path: ['zz_unknown_field'],
            broke: 'unknown field',
          })),
        );
      }
    }
    return out;
  }

  /** Breaks one constraint inside: one property of an object, one item of an array, one union branch. */
  private brokenInside(node: JsonSchema, depth: number): fc.Arbitrary<Broken>[] {
    const out: fc.Arbitrary<Broken>[] = [];
    const branches = node.anyOf ?? node.oneOf;
    if (branches) {
      // Only a branch whose type no other branch accepts: breaking it keeps the value refused.
      for (const branch of branches) {
        const mine = typesAccepted(branch, (n) => this.resolve(n));
        const others = branches
          .filter((b) => b !== branch)
          .map((b) => typesAccepted(b, (n) => this.resolve(n)));
        if (!mine || mine.has('any')) continue;
        if (
          others.some(
            (o) =>
              !o || o.has('any') || [...mine].some((t) => o.has(t) || (t === 'integer' && o.has('number'))),
          )
        )
          continue;
        // A wrong type for one branch may be another branch's type: the union's own wrong type covers it.
        const broken = this.invalid(branch, depth, false);
        if (broken) out.push(broken);
      }
      return out;
    }
    const type = Array.isArray(node.type) ? undefined : node.type;
    if (type === 'object' && node.properties) {
      for (const [key, sub] of Object.entries(node.properties)) {
        const broken = this.invalid(sub, depth + 1);
        if (!broken) continue;
        out.push(
          fc.tuple(this.validObject(node, depth), broken).map(([value, b]) => ({
            value: { ...value, [key]: b.value },
            path: [key, ...b.path],
            broke: b.broke,
          })),
        );
      }
    }
    if (type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object') {
      const broken = this.invalid(node.additionalProperties, depth + 1);
      if (broken)
        out.push(
          fc.tuple(this.validObject(node, depth), broken).map(([value, b]) => ({
            value: { ...value, zz_key: b.value },
            path: ['zz_key', ...b.path],
            broke: b.broke,
          })),
        );
    }
    if (type === 'array' && node.items && (node.maxItems ?? 1) >= 1) {
      const broken = this.invalid(node.items, depth + 1);
      if (broken) {
        const min = Math.max(0, (node.minItems ?? 0) - 1);
        out.push(
          fc
            .tuple(fc.array(this.valid(node.items, depth + 1), { minLength: min, maxLength: min }), broken)
            .map(([items, b]) => ({
              value: [...items, b.value],
              path: [String(items.length), ...b.path],
              broke: b.broke,
            })),
        );
      }
    }
    return out;
  }
}

const WRONG_TYPES: readonly [string, unknown][] = [
  ['object', { zz: 1 }],
  ['array', [1]],
  ['string', 'zz'],
  ['boolean', true],
  ['integer', 7],
  ['null', null],
];

/** The JSON types a node accepts (`any` for `{}`), or undefined when it cannot be told (e.g. `allOf`). */
function typesAccepted(input: JsonSchema, resolve: (n: JsonSchema) => JsonSchema): Set<string> | undefined {
  const node = resolve(input);
  if ('const' in node || node.enum) {
    const values = 'const' in node ? [node.const] : (node.enum ?? []);
    return new Set(values.map(jsonType));
  }
  const branches = node.anyOf ?? node.oneOf;
  if (branches) {
    const all = new Set<string>();
    for (const b of branches) {
      const t = typesAccepted(b, resolve);
      if (!t) return undefined;
      t.forEach((x) => all.add(x));
    }
    return all;
  }
  if (node.allOf) return undefined;
  if (!node.type) return new Set(['any']);
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return new Set(types.flatMap((t) => (t === 'number' ? ['number', 'integer'] : [t])));
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function nextUp(n: number): number {
  return n + Math.max(Math.abs(n) * Number.EPSILON, Number.MIN_VALUE);
}

function nextDown(n: number): number {
  return n - Math.max(Math.abs(n) * Number.EPSILON, Number.MIN_VALUE);
}

/** A JSON number above `max` (JSON has no Infinity). */
function biggerThan(max: number): number {
  if (max >= Number.MAX_VALUE / 10) return Number.MAX_VALUE;
  return Number.isInteger(max) && Math.abs(max) < SAFE ? max + 1 : max + Math.max(Math.abs(max), 1);
}

function smallerThan(min: number): number {
  if (min <= -Number.MAX_VALUE / 10) return -Number.MAX_VALUE;
  return Number.isInteger(min) && Math.abs(min) < SAFE ? min - 1 : min - Math.max(Math.abs(min), 1);
}

function fractionNear(node: JsonSchema): number {
  const base = node.minimum ?? (node.exclusiveMinimum !== undefined ? node.exclusiveMinimum : 0);
  return Math.max(base, 0) + 0.5;
}

/** An unbounded spot of a boundary schema. */
export interface BoundIssue {
  path: string;
  problem: string;
}

/**
 * The audit: every string needs a maximum length (or a pattern without unbounded repetition, an
 * enum or a format of bounded size), every number a minimum and a maximum, every array a maximum
 * size, every record a maximum key count, and no `{}` (anything) — each one is how a value too big
 * for the code behind it gets in. `allowed` lists paths known to be bounded some other way (a
 * refinement zod cannot describe, a size limit before parsing), each with its reason.
 */
export function boundIssues(schema: z.ZodType, allowed: Record<string, string> = {}): BoundIssue[] {
  const root = jsonSchemaOf(schema);
  const issues: BoundIssue[] = [];
  const seen = new Set<JsonSchema>();
  const resolve = (node: JsonSchema): JsonSchema => {
    if (!node.$ref) return node;
    if (node.$ref === '#') return root;
    return root.$defs?.[node.$ref.replace(/^#\/\$defs\//, '')] ?? node;
  };
  const visit = (input: JsonSchema, path: string[]): void => {
    const node = resolve(input);
    const at = path.join('.') || '(root)';
    if (input.$ref) {
      if (seen.has(node)) {
        issues.push({ path: at, problem: 'recursive schema (nesting needs an explicit depth bound)' });
        return;
      }
      seen.add(node);
    }
    const flag = (problem: string) => {
      if (!(at in allowed)) issues.push({ path: at, problem });
    };
    if ('const' in node || node.enum) return;
    const branches = node.anyOf ?? node.oneOf ?? node.allOf;
    if (branches) {
      branches.forEach((b) => visit(b, path));
      return;
    }
    const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
    if (types.length === 0) flag('accepts anything (no type)');
    for (const type of types) {
      if (
        type === 'string' &&
        node.maxLength === undefined &&
        !boundedPattern(node.pattern) &&
        !BOUNDED_FORMATS.has(node.format ?? '')
      )
        flag('string without maxLength');
      if ((type === 'number' || type === 'integer') && !(hasMax(node) && hasMin(node)))
        flag(`${type} without ${hasMax(node) ? 'minimum' : 'maximum'}`);
      if (type === 'array') {
        if (node.maxItems === undefined && !node.prefixItems) flag('array without maxItems');
        if (node.items) visit(node.items, [...path, '[]']);
        node.prefixItems?.forEach((p, i) => visit(p, [...path, String(i)]));
      }
      if (type === 'object') {
        for (const [key, sub] of Object.entries(node.properties ?? {})) visit(sub, [...path, key]);
        const extra = node.additionalProperties;
        if (extra && typeof extra === 'object') {
          if (node.maxProperties === undefined) flag('record without a maximum number of keys');
          if (node.propertyNames) visit(node.propertyNames, [...path, '{key}']);
          visit(extra, [...path, '{}']);
        }
      }
    }
  };
  visit(root, []);
  return issues;
}

const BOUNDED_FORMATS = new Set(['uuid', 'date-time', 'date', 'time', 'ipv4', 'ipv6', 'email']);

const hasMax = (n: JsonSchema) => n.maximum !== undefined || n.exclusiveMaximum !== undefined;
const hasMin = (n: JsonSchema) => n.minimum !== undefined || n.exclusiveMinimum !== undefined;

/** An anchored pattern with only bounded repetition (`{m,n}`, `?`): its matches have a maximum length. */
function boundedPattern(pattern: string | undefined): boolean {
  if (!pattern) return false;
  if (!pattern.startsWith('^') || !pattern.endsWith('$')) return false;
  const unescaped = pattern.replace(/\\./g, '');
  return !/[*+]|\{\d+,\}/.test(unescaped.replace(/\[[^\]]*\]/g, ''));
}

/** True when every reported zod issue path is the broken path or above it (a union or object holding it). */
export function namesBrokenField(reported: readonly string[], broken: string): boolean {
  if (reported.length === 0) return false;
  return reported.some((p) => {
    const path = p === '(body)' || p === '(root)' ? '' : p;
    return (
      path === broken || broken.startsWith(path === '' ? '' : `${path}.`) || path.startsWith(`${broken}.`)
    );
  });
}
