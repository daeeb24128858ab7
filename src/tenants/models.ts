import type { TenantConfig } from './types.js';

/**
 * The models a conversation may choose with `/model` (or the API): the tenant's `models` (alias →
 * id, e.g. Bedrock inference-profile ids) or, without one, the SDK's own aliases.
 */

/** An alias: what people type after `/model`. */
export const MODEL_ALIAS_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const MAX_MODEL_ALIASES = 20;
/** Words `/model` and `/agent` read as "back to the default": never an alias. */
export const RESERVED_MODEL_ALIASES: readonly string[] = ['default', 'reset'];

/** The choices of a tenant without `models`: the aliases the Agent SDK resolves itself. */
export const DEFAULT_MODEL_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  haiku: 'haiku',
  sonnet: 'sonnet',
  opus: 'opus',
});

/** A tenant's model choices, alias → the id the SDK is given. */
export function modelAliases(
  tenant: Pick<TenantConfig, 'models'> | undefined,
): Readonly<Record<string, string>> {
  return tenant?.models ?? DEFAULT_MODEL_ALIASES;
}
