import type { AgentConfig } from '../config/agent-config/index.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import type { EventTenant } from '../events/index.js';
import { weakTokenProblem } from '../server/auth.js';
import type { ResolvedTenants } from '../tenants/index.js';
import { agentConfigsOf } from './proactive.js';

/**
 * Refuses unsafe event tokens before the endpoint starts: in production `OMNICLOUD_EVENTS_TOKEN`
 * set but empty, and any tenant's event token that is short, well-known or repetitive.
 */
export function assertEventTokens(env: AppEnv, tenants: ResolvedTenants): void {
  const production = env.OMNICLOUD_ENV === 'production';
  const issues: ConfigIssue[] = [];
  if (production && env.OMNICLOUD_EVENTS_TOKEN !== undefined && env.OMNICLOUD_EVENTS_TOKEN.trim() === '') {
    issues.push({
      file: 'environment',
      field: 'OMNICLOUD_EVENTS_TOKEN',
      message: 'is empty (unset it to turn the endpoint off)',
    });
  }
  for (const t of tenants.tenants.values()) {
    (t.secrets.eventTokens ?? []).forEach((token, i) => {
      const problem = weakTokenProblem(token, production);
      if (problem) {
        issues.push({
          file: tenants.source ?? 'environment',
          field: `tenants.${t.id}.events.tokens[${i}]`,
          message: problem,
        });
      }
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * The endpoint's tenant lookup: each tenant's event tokens and the routes of `events.yaml`, taken
 * from its agent-config folder as the process reads it once (`agentConfigsOf`, shared with the
 * schedules: a failed read is retried on the next event, so a fixed file needs no restart; a broken
 * file answers 500 and is logged, never a silent drop).
 */
export function eventTenantLookup(
  tenants: ResolvedTenants,
  configs: (tenant: TenantId) => Promise<Pick<AgentConfig, 'events'>> = agentConfigsOf({ tenants }),
): (tenant: TenantId) => Promise<EventTenant | undefined> {
  return async (id) => {
    const tenant = tenants.tenants.get(id);
    const tokens = tenant?.secrets.eventTokens ?? [];
    if (!tenant || tokens.length === 0) return undefined;
    return { tokens, routes: (await configs(id)).events };
  };
}
