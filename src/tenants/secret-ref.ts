import { z } from 'zod';
import type { SecretRef } from './types.js';

/**
 * Parsing and naming of secret references. A reference is an object with exactly one of `env`,
 * `ssm`, `secretsManager`. A plain string — or a "name" that looks like a token — is refused with a
 * message that says why, without ever repeating the value.
 */
export const SECRET_REF_KINDS = ['env', 'ssm', 'secretsManager'] as const;
export type SecretRefKind = (typeof SECRET_REF_KINDS)[number];

const HOW =
  'store it in an environment variable, SSM Parameter Store or Secrets Manager and write { env: NAME }, { ssm: NAME } or { secretsManager: NAME }';

const NAME_RULES: Record<SecretRefKind, { re: RegExp; what: string }> = {
  env: { re: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, what: 'an environment variable name (letters, digits, _)' },
  ssm: { re: /^[A-Za-z0-9_.\-/]{1,2048}$/, what: 'an SSM parameter name such as /omnicloud/acme/bot-token' },
  secretsManager: {
    re: /^[A-Za-z0-9_/+=.@:-]{1,2048}$/,
    what: 'a Secrets Manager secret name or ARN',
  },
};

function entropyBitsPerChar(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Share of adjacent characters of different classes: ~0.6 for random base62, ~0.25 for CamelCase names. */
function classSwitchRatio(s: string): number {
  const cls = (ch: string) => (/[a-z]/.test(ch) ? 0 : /[A-Z]/.test(ch) ? 1 : /\d/.test(ch) ? 2 : 3);
  let switches = 0;
  for (let i = 1; i < s.length; i++) if (cls(s[i] as string) !== cls(s[i - 1] as string)) switches++;
  return switches / Math.max(1, s.length - 1);
}

/** What kind of secret `value` looks like (`'a Telegram bot token'`, …), or `null` if it looks like a name. */
export function looksLikeSecret(value: string): string | null {
  if (/^\d{5,}:[A-Za-z0-9_-]{30,}$/.test(value)) return 'a Telegram bot token';
  if (/^(sk-ant-|sk-|xox[abprs]-|gh[pousr]_|github_pat_|AKIA|ASIA|AIza)[A-Za-z0-9_-]{12,}/.test(value)) {
    return 'an API key';
  }
  if (/^[0-9a-fA-F]{32,}$/.test(value)) return 'a random hex string';
  if (
    value.length >= 32 &&
    !/\s/.test(value) &&
    !value.startsWith('/') &&
    !value.startsWith('arn:') &&
    /[a-z]/.test(value) &&
    /[A-Z]/.test(value) &&
    (value.match(/\d+/g) ?? []).length >= 2 &&
    entropyBitsPerChar(value) >= 4 &&
    classSwitchRatio(value) >= 0.4
  ) {
    return 'a random token';
  }
  return null;
}

/** Parse one reference; returns the reference or a message (never containing the value). */
export function parseSecretRef(value: unknown): { ref: SecretRef } | { error: string } {
  if (value === undefined || value === null) {
    return { error: 'is required: { env: NAME }, { ssm: NAME } or { secretsManager: NAME }' };
  }
  if (typeof value === 'string' || typeof value === 'number') {
    const kind = looksLikeSecret(String(value));
    return {
      error: kind
        ? `looks like an inline secret (${kind}); secrets never go in the tenants file: ${HOW}`
        : `must be a secret reference, not a plain value: ${HOW}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: `must be a secret reference: { env: NAME }, { ssm: NAME } or { secretsManager: NAME }` };
  }
  const keys = Object.keys(value);
  const kind = keys[0] as SecretRefKind | undefined;
  if (keys.length !== 1 || kind === undefined || !SECRET_REF_KINDS.includes(kind)) {
    return {
      error: `must have exactly one of env, ssm, secretsManager (got ${keys.length === 0 ? 'none' : keys.map((k) => JSON.stringify(k)).join(', ')})`,
    };
  }
  const name = (value as Record<string, unknown>)[kind];
  if (typeof name !== 'string' || name.length === 0) return { error: `${kind}: must be a non-empty name` };
  const secretKind = looksLikeSecret(name);
  if (secretKind) {
    return { error: `${kind}: looks like an inline secret (${secretKind}), not a name: ${HOW}` };
  }
  if (!NAME_RULES[kind].re.test(name)) return { error: `${kind}: must be ${NAME_RULES[kind].what}` };
  return { ref: { [kind]: name } as SecretRef };
}

export function secretRefKind(ref: SecretRef): SecretRefKind {
  if ('env' in ref) return 'env';
  if ('ssm' in ref) return 'ssm';
  return 'secretsManager';
}

export function secretRefName(ref: SecretRef): string {
  if ('env' in ref) return ref.env;
  if ('ssm' in ref) return ref.ssm;
  return ref.secretsManager;
}

/** Stable string form of a reference (`env:NAME`, `ssm:NAME`, `secretsManager:NAME`), the key of resolved values. */
export function secretRefKey(ref: SecretRef): string {
  return `${secretRefKind(ref)}:${secretRefName(ref)}`;
}

/** For messages: `environment variable ACME_TOKEN`, `SSM parameter /x`, `Secrets Manager secret y`. */
export function describeSecretRef(ref: SecretRef): string {
  const kind = secretRefKind(ref);
  const label =
    kind === 'env' ? 'environment variable' : kind === 'ssm' ? 'SSM parameter' : 'Secrets Manager secret';
  return `${label} ${secretRefName(ref)}`;
}

/**
 * A secret reference at a config boundary (tenants file, webhook routes): `parseSecretRef` is the
 * check (its messages say why a value is refused without repeating it). Its JSON Schema is
 * declared as metadata, so the bounds audit and generated cases see the shapes and name rules the
 * transform enforces.
 */
export const SECRET_REF_SCHEMA = z
  .unknown()
  .transform((value, ctx): SecretRef => {
    const parsed = parseSecretRef(value);
    if ('ref' in parsed) return parsed.ref;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  })
  .meta({
    anyOf: SECRET_REF_KINDS.map((kind) => ({
      type: 'object',
      properties: { [kind]: { type: 'string', pattern: NAME_RULES[kind].re.source } },
      required: [kind],
      additionalProperties: false,
    })),
  });
