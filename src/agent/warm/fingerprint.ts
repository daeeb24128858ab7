import { createHash } from 'node:crypto';
import type { TenantAgent } from '../profile.js';

const instanceIds = new WeakMap<object, number>();
let nextInstanceId = 1;

/** Plain data by value; anything else (an in-process MCP server, a function) by identity. */
function byValueOrIdentity(_key: string, value: unknown): unknown {
  if (typeof value === 'function' || (typeof value === 'object' && value !== null && !isPlain(value))) {
    let id = instanceIds.get(value);
    if (id === undefined) {
      id = nextInstanceId++;
      instanceIds.set(value, id);
    }
    return `#instance-${id}`;
  }
  return value;
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === Array.prototype || proto === null;
}

/**
 * What a live process was started with that a later turn must match for the process to take it:
 * the tenant's agent (profile and workspace by value), the child's whole environment (provider,
 * credentials, limits), the model and the agentic-turn cap. A mismatch closes the process and the
 * turn starts a new one, so a changed configuration takes effect on the next turn.
 */
export function processFingerprint(input: {
  agent: TenantAgent;
  env: Record<string, string>;
  model: string | undefined;
  maxTurns: number;
  /** The main-thread agent (`TurnRequest.agent`), if any. */
  mainAgent?: string | undefined;
  /** The process has the model-request budget's hook (`model-rate/`): hooks are fixed at start. */
  modelRate?: boolean;
}): string {
  const env = Object.entries(input.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(
      JSON.stringify(
        [
          input.agent,
          env,
          input.model ?? null,
          input.maxTurns,
          input.mainAgent ?? null,
          // Only when set, so processes without a budget keep the fingerprint they had.
          ...(input.modelRate === true ? ['model-rate'] : []),
        ],
        byValueOrIdentity,
      ),
    )
    .digest('base64url');
}
