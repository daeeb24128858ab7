import type { Json } from './cfn-yaml.js';

/**
 * A small CloudFormation evaluator for tests: given parameter values it resolves `Conditions`,
 * `Fn::If` (dropping `AWS::NoValue`), `Fn::Equals/Not/And/Or/Join` and `Ref` to parameters. Refs to
 * resources, `Fn::GetAtt` and `Fn::Sub` stay symbolic, so a test can see which resource a policy names.
 */
export type Template = { [key: string]: Json } & {
  Parameters: Record<string, { [key: string]: Json }>;
  Conditions: Record<string, Json>;
  Resources: Record<
    string,
    {
      Type: string;
      Properties?: { [key: string]: Json };
      Condition?: string;
      Metadata?: { [key: string]: Json };
    }
  >;
};

const NO_VALUE = Symbol('NoValue');
type Value = Json | typeof NO_VALUE;

export function parameterDefaults(template: Template): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, p] of Object.entries(template.Parameters)) {
    if (p.Default === undefined) continue;
    out[name] = p.Type === 'CommaDelimitedList' ? String(p.Default).split(',') : p.Default;
  }
  return out;
}

export function createEvaluator(template: Template, overrides: Record<string, Json>) {
  const params = { ...parameterDefaults(template), ...overrides };
  const conditionCache = new Map<string, boolean>();

  const condition = (name: string): boolean => {
    const cached = conditionCache.get(name);
    if (cached !== undefined) return cached;
    const def = template.Conditions[name];
    if (def === undefined) throw new Error(`unknown condition ${name}`);
    const result = Boolean(resolve(def));
    conditionCache.set(name, result);
    return result;
  };

  const resolve = (node: Json): Value => {
    if (Array.isArray(node)) return node.map(resolve).filter((v): v is Json => v !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = node[key] as Json;
      switch (key) {
        case 'Ref': {
          if (arg === 'AWS::NoValue') return NO_VALUE;
          if (typeof arg === 'string' && arg in params) return params[arg] as Json;
          return node;
        }
        case 'Condition':
          return condition(String(arg));
        case 'Fn::If': {
          const [name, a, b] = arg as [string, Json, Json];
          return resolve(condition(name) ? a : b);
        }
        case 'Fn::Equals': {
          const [a, b] = (arg as Json[]).map(resolve);
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Not':
          return !resolve((arg as Json[])[0] as Json);
        case 'Fn::And':
          return (arg as Json[]).every((c) => Boolean(resolve(c)));
        case 'Fn::Or':
          return (arg as Json[]).some((c) => Boolean(resolve(c)));
        case 'Fn::Join': {
          const [sep, list] = arg as [string, Json];
          const items = resolve(list);
          if (Array.isArray(items) && items.every((i) => typeof i === 'string')) return items.join(sep);
          return { 'Fn::Join': [sep, items as Json] };
        }
      }
    }
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) {
      const r = resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };

  return {
    condition,
    /** Resolve a node; a top-level `AWS::NoValue` becomes `undefined`. */
    resolve(node: Json): Json | undefined {
      const r = resolve(node);
      return r === NO_VALUE ? undefined : r;
    },
    /** Whether a resource exists under these parameters (its `Condition`). */
    exists(logicalId: string): boolean {
      const c = template.Resources[logicalId]?.Condition;
      return c === undefined || condition(c);
    },
  };
}

/** Every `Ref`, `Fn::GetAtt` target and `${…}` variable of `Fn::Sub` found anywhere in `node`. */
export function collectReferences(
  node: Json,
  out: { refs: string[]; getAtts: string[]; subs: string[]; conditions: string[] } = {
    refs: [],
    getAtts: [],
    subs: [],
    conditions: [],
  },
) {
  if (Array.isArray(node)) {
    for (const n of node) collectReferences(n, out);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') out.refs.push(value);
      else if (key === 'Fn::GetAtt' && Array.isArray(value)) out.getAtts.push(String(value[0]));
      else if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(value) ? [String(value[0]), value[1]] : [String(value), undefined];
        const local = vars && typeof vars === 'object' && !Array.isArray(vars) ? Object.keys(vars) : [];
        for (const m of text.matchAll(/\$\{([^}!]+)\}/g)) {
          const name = (m[1] as string).split('.')[0] as string;
          if (!local.includes(name)) out.subs.push(name);
        }
        if (vars) collectReferences(vars as Json, out);
      } else if (key === 'Fn::If' && Array.isArray(value)) {
        out.conditions.push(String(value[0]));
      } else if (key === 'Condition' && typeof value === 'string') {
        out.conditions.push(value);
      }
      collectReferences(value as Json, out);
    }
  }
  return out;
}
