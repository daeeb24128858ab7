import { isMap, isScalar, isSeq, parseDocument, type Node, type ScalarTag, type CollectionTag } from 'yaml';

/**
 * Parses a CloudFormation/SAM YAML template into its JSON form: short tags (`!Ref X`, `!GetAtt A.B`,
 * `!Sub '…'`, `!If [...]`, …) become the long form (`{ Ref: 'X' }`, `{ 'Fn::GetAtt': ['A', 'B'] }`, …).
 */
const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Contains',
  'EachMemberEquals',
  'EachMemberIn',
  'RefAll',
  'ValueOf',
  'ValueOfAll',
  'Length',
  'ToJsonString',
] as const;

const tagNames = ['Ref', 'Condition', ...FUNCTIONS];
const scalarTags: ScalarTag[] = tagNames.map((name) => ({ tag: `!${name}`, resolve: (s: string) => s }));
const collectionTags: CollectionTag[] = tagNames.flatMap((name) => [
  { tag: `!${name}`, collection: 'seq' as const, resolve: (v: unknown) => v } as unknown as CollectionTag,
  { tag: `!${name}`, collection: 'map' as const, resolve: (v: unknown) => v } as unknown as CollectionTag,
]);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function convert(node: unknown): Json {
  if (node === null || node === undefined) return null;
  const n = node as Node;
  let value: Json;
  if (isMap(n)) {
    const out: { [key: string]: Json } = {};
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = convert(pair.value);
    }
    value = out;
  } else if (isSeq(n)) {
    value = n.items.map((item) => convert(item));
  } else if (isScalar(n)) {
    value = n.value as Json;
  } else {
    throw new Error(`[cfn-yaml] unsupported node ${String(n)}`);
  }
  const tag = (n as { tag?: string }).tag;
  if (!tag || !tag.startsWith('!')) return value;
  const name = tag.slice(1);
  if (name === 'Ref') return { Ref: value };
  if (name === 'Condition') return { Condition: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

export function parseCfnYaml(source: string): Json {
  const doc = parseDocument(source, {
    customTags: [...scalarTags, ...collectionTags],
    keepSourceTokens: false,
  });
  if (doc.errors.length > 0) throw new Error(`[cfn-yaml] ${doc.errors.map((e) => e.message).join('; ')}`);
  const unknown = doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (unknown.length > 0) throw new Error(`[cfn-yaml] ${unknown.map((w) => w.message).join('; ')}`);
  return convert(doc.contents);
}
