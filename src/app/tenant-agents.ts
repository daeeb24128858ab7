import type { McpServerConfig } from '@anthropic-ai/claude-agent-sdk';
import { join } from 'node:path';
import { SEND_FILE_TOOL } from '../agent/send-file.js';
import { prepareWorkspace } from '../agent/workspace.js';
import type { AgentProfile, TenantAgent, TenantAgentResolver, ToolPolicy } from '../agent/profile.js';
import { describeCall } from '../approvals/describe.js';
import { createToolPolicy } from '../approvals/policy.js';
import type { AppEnv } from '../config/env.js';
import {
  defaultAgentConfigDir,
  defaultToolPolicy,
  installSkills,
  loadAgentConfig,
  type AgentConfig,
  type EnvRecord,
} from '../config/agent-config/index.js';
import type { TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';

export interface TenantAgentsOptions {
  /** The raw environment, for `${VAR}` interpolation in mcp.json. */
  rawEnv: EnvRecord;
  /** Agent-config folder per tenant (multi-tenant setups); default: the environment's folder for all. */
  configDirFor?: (tenant: TenantId) => string;
}

/**
 * The tool policy: the config's default, widened or narrowed only by explicit settings. The
 * built-in `send_file` (it reads only inside the conversation's files folder) is always allowed,
 * so the approvals policy never asks about it; a deny or ask rule in permissions.json still wins.
 */
export function toolPolicy(config: AgentConfig, env: AppEnv, cwd: string): ToolPolicy {
  const base = defaultToolPolicy(config, { cwd });
  return {
    allowedTools: [...base.allowedTools, SEND_FILE_TOOL, ...(env.OMNICLOUD_ALLOWED_TOOLS ?? [])],
    disallowedTools: env.OMNICLOUD_DISALLOWED_TOOLS ?? [],
    permissionMode: env.OMNICLOUD_PERMISSION_MODE,
  };
}

/**
 * Tool approvals of a tenant's agent: `permissions.json` (or the built-in default) on top of what
 * the configuration itself needs (skill scripts, subagents, MCP servers, OMNICLOUD_ALLOWED_TOOLS:
 * the `allowedTools` above). Its deny rules also go to the SDK. None under bypassPermissions.
 */
export function toolApprovals(
  config: AgentConfig,
  tools: ToolPolicy,
  workspace: { cwd: string; home: string },
): { approvals: AgentProfile['approvals']; tools: ToolPolicy } {
  if (tools.permissionMode === 'bypassPermissions') return { approvals: undefined, tools };
  const policy = createToolPolicy(config.permissions, { allow: tools.allowedTools }, workspace);
  return {
    approvals: {
      policy,
      describe: (call) => describeCall(call, workspace),
      timeoutMs: config.permissions.timeoutMinutes * 60_000,
    },
    tools: { ...tools, disallowedTools: [...tools.disallowedTools, ...policy.sdkDenyRules()] },
  };
}

/**
 * Resolves each tenant's agent once per process: loads and validates its agent-config folder,
 * prepares its workspace and installs its skills as project-level skills. A tenant's skills and
 * MCP servers live in its own workspace and profile, never offered to another tenant's agent.
 */
export async function createTenantAgents(
  env: AppEnv,
  logger: Logger,
  options: TenantAgentsOptions,
): Promise<{ resolve: TenantAgentResolver }> {
  const cache = new Map<TenantId, Promise<TenantAgent>>();
  const configDirFor = options.configDirFor ?? (() => env.OMNICLOUD_CONFIG_DIR ?? defaultAgentConfigDir());

  async function build(tenant: TenantId): Promise<TenantAgent> {
    const config = await loadAgentConfig(configDirFor(tenant), {
      env: options.rawEnv,
      enableMcpServers: env.OMNICLOUD_ENABLE_MCP_SERVERS,
    });
    // Values interpolated into MCP headers/env are credentials: never let them reach a log line,
    // neither whole (`Bearer <token>`) nor the bare `${VAR}` value inside them.
    logger.addSecrets?.([...mcpCredentialValues(config.mcpServers), ...config.mcpInterpolatedValues]);
    for (const warning of config.warnings) {
      logger.info('agent config warning', {
        tenant,
        file: warning.file,
        field: warning.field,
        message: warning.message,
      });
    }
    // Each tenant's agent runs under `<workspace root>/<tenant>/`.
    const workspace = await prepareWorkspace(
      join(env.OMNICLOUD_WORKSPACE_DIR ?? join(env.OMNICLOUD_DATA_DIR, 'tenants'), tenant),
    );
    await installSkills(config.skills, workspace.cwd);
    const { approvals, tools } = toolApprovals(config, toolPolicy(config, env, workspace.cwd), workspace);
    if (tools.permissionMode === 'bypassPermissions') {
      logger.warn('PERMISSIONS BYPASSED: every tool call runs without a check (OMNICLOUD_PERMISSION_MODE)', {
        tenant,
      });
    }
    const profile: AgentProfile = {
      agents: config.agents,
      mcpServers: config.mcpServers,
      systemPrompt: config.systemPrompt,
      skills: config.skills.map((s) => s.name),
      tools,
      ...(approvals ? { approvals } : {}),
    };
    return { profile, workspace };
  }

  return {
    resolve(tenant) {
      let agent = cache.get(tenant);
      if (!agent) {
        agent = build(tenant);
        cache.set(tenant, agent);
        // A failed load is not cached: fixing the config must not need a restart.
        agent.catch(() => cache.delete(tenant));
      }
      return agent;
    },
  };
}

/** Header and environment values of the configured MCP servers (where `${VAR}` secrets end up). */
export function mcpCredentialValues(servers: Record<string, McpServerConfig>): string[] {
  return Object.values(servers).flatMap((server): string[] => [
    ...Object.values<string>('headers' in server && server.headers ? server.headers : {}),
    ...Object.values<string>('env' in server && server.env ? server.env : {}),
  ]);
}
