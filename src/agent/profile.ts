import type { AgentDefinition, McpServerConfig, PermissionMode } from '@anthropic-ai/claude-agent-sdk';
import type { TenantId } from '../core/ids.js';
import type { ApprovalSettings } from './approval-flow.js';
import type { GatePolicy } from './approval-gate.js';

/** Tool permissions for a run: what is allowed, what is removed, and the permission mode. */
export interface ToolPolicy {
  allowedTools: string[];
  disallowedTools: string[];
  permissionMode: PermissionMode;
}

/** What the agent is: built from a tenant's agent-config folder and the tool policy. */
export interface AgentProfile {
  agents: Record<string, AgentDefinition>;
  mcpServers: Record<string, McpServerConfig>;
  /** Appended to the Claude Code system prompt (system_prompt.md). */
  systemPrompt: string | undefined;
  /** Names of the skills offered (installed as project-level skills in the workspace). */
  skills: string[];
  tools: ToolPolicy;
  /**
   * Tool approvals: every call goes through `policy` (allow / ask / deny); `ask` ends the turn with
   * an approval request. Absent when the operator bypasses permissions (everything runs).
   */
  approvals?: ApprovalSettings & { policy: GatePolicy };
}

/** Where a tenant's agent runs: its own cwd (with `.claude/skills`), config dir, home and temp dir. */
export interface AgentWorkspace {
  cwd: string;
  configDir: string;
  home: string;
  tmpDir: string;
}

/** A tenant's agent, ready to run (workspace prepared). */
export interface TenantAgent {
  profile: AgentProfile;
  workspace: AgentWorkspace;
}

/** Resolves a tenant's agent; implementations cache per tenant (skills installed once). */
export type TenantAgentResolver = (tenant: TenantId) => Promise<TenantAgent>;
