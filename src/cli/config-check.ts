import { ConfigError, errorMessage, formatConfigIssues, type ConfigIssue } from '../core/errors.js';
import { defaultToolPolicy, loadAgentConfig, type AgentConfig } from '../config/agent-config/index.js';

export interface ConfigCheckArgs {
  /** The agent-configuration folder to validate. */
  configDir: string;
  /** Values for `${VAR}` references in mcp.json (the process env, injected). */
  env: Record<string, string | undefined>;
  out: (s: string) => void;
  err: (s: string) => void;
  /** MCP servers to treat as enabled although mcp.json disables them. */
  enableMcpServers?: readonly string[];
}

/**
 * `omnicloud config check`: loads the folder and prints a summary (agents, skills, MCP servers,
 * the default tool policy) to `out`, or every problem (file → field: message) to `err`.
 * Returns the exit code: 0 valid, 1 invalid. Never prints a stack trace.
 */
export async function runConfigCheck(args: ConfigCheckArgs): Promise<number> {
  let config: AgentConfig;
  try {
    config = await loadAgentConfig(args.configDir, {
      env: args.env,
      ...(args.enableMcpServers ? { enableMcpServers: args.enableMcpServers } : {}),
    });
  } catch (e) {
    args.err(
      e instanceof ConfigError ? e.message : `[config] cannot load ${args.configDir}: ${errorMessage(e)}`,
    );
    return 1;
  }
  args.out(summarize(config).join('\n'));
  if (config.warnings.length > 0) args.err(formatWarnings(config.warnings));
  return 0;
}

/** The summary lines printed on success. */
export function summarize(config: AgentConfig): string[] {
  const lines = [`Agent configuration OK: ${config.dir}`];
  lines.push(
    config.systemPrompt === undefined
      ? '  system prompt: none (system_prompt.md absent: the runner uses its default)'
      : `  system prompt: system_prompt.md (${config.systemPrompt.length} characters)`,
  );

  const agents = Object.entries(config.agents);
  lines.push(`  agents (${agents.length}):`);
  for (const [name, a] of agents) {
    lines.push(
      `    - ${name} (model: ${a.model ?? 'default'}; tools: ${a.tools?.join(', ') ?? 'all of the main agent'})`,
    );
  }

  lines.push(`  skills (${config.skills.length}):`);
  for (const s of config.skills) {
    const scripts = s.scripts.length > 0 ? `; scripts: ${s.scripts.map((x) => x.path).join(', ')}` : '';
    lines.push(`    - ${s.name}: ${oneLine(s.description)}${scripts}`);
  }

  const enabled = config.mcpServerSummaries.filter((m) => m.enabled).length;
  const total = config.mcpServerSummaries.length;
  lines.push(`  MCP servers (${enabled} enabled, ${total - enabled} disabled):`);
  for (const m of config.mcpServerSummaries) {
    const flags = [m.type, m.enabled ? 'enabled' : 'disabled', ...(m.alwaysLoad ? ['alwaysLoad'] : [])];
    lines.push(`    - ${m.name} (${flags.join(', ')}): ${m.target}`);
  }

  const policy = defaultToolPolicy(config);
  lines.push(
    `  default tool policy (permission mode "${policy.permissionMode}"; everything else is denied):`,
  );
  lines.push(
    `    allowedTools: ${policy.allowedTools.length > 0 ? policy.allowedTools.join(', ') : '(none)'}`,
  );
  lines.push(`    skills: ${policy.skills.length > 0 ? policy.skills.join(', ') : '(none)'}`);
  return lines;
}

function formatWarnings(warnings: ConfigIssue[]): string {
  return formatConfigIssues(warnings)
    .replace(/^\[config\] (\d+) problems?/, (_m, n: string) => `[config] ${n} warning${n === '1' ? '' : 's'}`)
    .replace('in the agent configuration', 'in the agent configuration (not errors)');
}

function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
