import type { AgentDefinition, McpServerConfig } from '@anthropic-ai/claude-agent-sdk';
import type { PermissionsConfig } from '../../approvals/permissions.js';
import type { ConfigIssue } from '../../core/errors.js';
import type { ScheduleSpec } from '../../schedules/types.js';
import type { EventRoute } from './events.js';

/** A script bundled with a skill, and the exact Bash command the tool policy allows for it. */
export interface SkillScript {
  /** Path inside the skill folder, e.g. `scripts/hello.sh`. */
  path: string;
  /** `bash .claude/skills/<skill>/scripts/hello.sh` — run from the project cwd. */
  command: string;
}

/** One validated skill folder of the configuration. */
export interface SkillInfo {
  name: string;
  description: string;
  /** Absolute path of the source folder (`<config>/skills/<name>`). */
  dir: string;
  /** Every file of the folder, relative, forward slashes, sorted. */
  files: string[];
  scripts: SkillScript[];
  /** Content hash of the folder (paths, exec bits, bytes): what `installSkills` compares. */
  hash: string;
}

/** What the configuration says about one MCP server, enabled or not (for summaries). */
export interface McpServerSummary {
  name: string;
  type: 'stdio' | 'http' | 'sse';
  enabled: boolean;
  alwaysLoad: boolean;
  /** `url` for http/sse, `command args…` for stdio (after interpolation when enabled). */
  target: string;
}

/** A loaded, validated agent-configuration folder, in the shapes the SDK's `Options` take. */
export interface AgentConfig {
  /** Absolute path of the folder. */
  dir: string;
  /** `Options.agents`: prompts already read from their `prompt_file`. */
  agents: Record<string, AgentDefinition>;
  /** `Options.mcpServers`: enabled servers only, `${VAR}`s resolved. */
  mcpServers: Record<string, McpServerConfig>;
  /** Every configured server, including disabled ones. */
  mcpServerSummaries: McpServerSummary[];
  /**
   * Every value the environment supplied to a `${VAR}` of an enabled server (headers, env, url,
   * command, args): possibly a credential on its own (`Bearer ${TOKEN}` → the token), so hosts mask
   * each in logs, not only the whole header value.
   */
  mcpInterpolatedValues: string[];
  skills: SkillInfo[];
  /** Tool permissions from `permissions.json`, or the built-in default (`DEFAULT_PERMISSIONS`). */
  permissions: PermissionsConfig;
  /** Where `permissions` came from: the file (absent fields from the default), or the default alone. */
  permissionsSource: 'file' | 'default';
  /** Contents of `system_prompt.md`, or undefined when the folder has none. */
  systemPrompt: string | undefined;
  /** Scheduled runs from `schedules.yaml` (empty without the file), in file order. */
  schedules: ScheduleSpec[];
  /** Alert routes of `events.yaml` (first match wins); empty when the file is absent. */
  events: EventRoute[];
  /** Non-fatal findings (e.g. an agent uses tools of a disabled MCP server). */
  warnings: ConfigIssue[];
}
