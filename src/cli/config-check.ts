import { ConfigError, errorMessage, formatConfigIssues, type ConfigIssue } from '../core/errors.js';
import { defaultToolPolicy, loadAgentConfig, type AgentConfig } from '../config/agent-config/index.js';
import { describeSchedule, formatDueTime, nextDueTimes } from '../schedules/index.js';
import { summarizeEventRoutes } from '../config/agent-config/events.js';
import { loadTenantsFile, summarizeTenants, type TenantsConfig } from '../tenants/index.js';

export interface ConfigCheckArgs {
  /** The agent-configuration folder to validate. */
  configDir: string;
  /** Values for `${VAR}` references in mcp.json (the process env, injected). */
  env: Record<string, string | undefined>;
  out: (s: string) => void;
  err: (s: string) => void;
  /** MCP servers to treat as enabled although mcp.json disables them. */
  enableMcpServers?: readonly string[];
  /** "Now" for the schedules' next due times (epoch ms; default the system clock). */
  now?: number;
}

/**
 * `omnicloud config check`: loads the folder and prints a summary (agents, skills, MCP servers,
 * schedules with their next due times, the effective tool permissions) to `out`, or every problem (file → field: message) to `err`;
 * then the tenants file of `OMNICLOUD_TENANTS_FILE`, if set (each tenant's files policy among others).
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
  args.out(summarize(config, args.now ?? Date.now()).join('\n'));
  if (config.warnings.length > 0) args.err(formatWarnings(config.warnings));
  return checkTenantsFile(args);
}

/**
 * With `OMNICLOUD_TENANTS_FILE` set: validates the tenants file too and prints each tenant's front
 * ends, model, budgets and files policy; every problem goes to `err` (exit 1).
 */
function checkTenantsFile(args: ConfigCheckArgs): number {
  const file = args.env.OMNICLOUD_TENANTS_FILE;
  if (file === undefined || file === '') return 0;
  let tenants: TenantsConfig;
  try {
    tenants = loadTenantsFile(file);
  } catch (e) {
    args.err(e instanceof ConfigError ? e.message : `[config] cannot load ${file}: ${errorMessage(e)}`);
    return 1;
  }
  args.out(summarizeTenants(tenants).join('\n'));
  return 0;
}

/** The summary lines printed on success; `now` anchors the schedules' next due times. */
export function summarize(config: AgentConfig, now: number = Date.now()): string[] {
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

  lines.push(...summarizeSchedules(config, now));
  lines.push(...summarizePermissions(config));
  lines.push(...summarizeEventRoutes(config.events));
  return lines;
}

/** Each schedule of schedules.yaml: timing, target, enabled, and its next 3 due times in its zone. */
export function summarizeSchedules(config: AgentConfig, now: number): string[] {
  const lines = [
    `  schedules (${config.schedules.length}):${config.schedules.length === 0 ? ' (none)' : ''}`,
  ];
  for (const spec of config.schedules) {
    lines.push(`    - ${describeSchedule(spec)}`);
    if (!spec.enabled) {
      lines.push('      never runs (enabled: false)');
      continue;
    }
    const next = nextDueTimes(spec, now, 3).map((t) => formatDueTime(t, spec.timezone));
    lines.push(`      next (${spec.timezone}): ${next.length > 0 ? next.join(', ') : 'never due again'}`);
  }
  return lines;
}

/**
 * The effective permissions: where they come from, the default verdict and timeout, the allow
 * rules derived from the folder (subagents, MCP servers, skill scripts), then each list. The
 * per-service AWS read rules of the built-in default are shown as one entry.
 */
export function summarizePermissions(config: AgentConfig): string[] {
  const p = config.permissions;
  const source =
    config.permissionsSource === 'file' ? 'permissions.json' : 'built-in default (no permissions.json)';
  const derived = defaultToolPolicy(config);
  return [
    `  permissions: ${source}; default ${p.default}; approval timeout ${p.timeoutMinutes} min`,
    ...ruleLine('derived allow', derived.allowedTools),
    ...ruleLine('allow', p.allow),
    ...ruleLine('ask', p.ask),
    ...ruleLine('deny', p.deny),
    `    skills: ${derived.skills.length > 0 ? derived.skills.join(', ') : '(none)'}`,
  ];
}

function ruleLine(label: string, rules: readonly string[]): string[] {
  if (rules.length === 0) return [`    ${label} (0): (none)`];
  return wrap(`    ${label} (${rules.length}): `, condenseAwsReads(rules), 100);
}

/**
 * `Bash(aws ec2 describe-*)`, `Bash(aws ec2 list-*)`, … for many services → one entry per set of
 * verbs: `Bash(aws <service> describe-*|list-*) for (acm, …)`, in place of the first such rule.
 */
function condenseAwsReads(rules: readonly string[]): string[] {
  const re = /^Bash\(aws ([a-z0-9-]+) (describe|list|get)-\*\)$/;
  const verbs = new Map<string, string[]>();
  for (const rule of rules) {
    const m = re.exec(rule);
    if (m) verbs.set(m[1] ?? '', [...(verbs.get(m[1] ?? '') ?? []), `${m[2] ?? ''}-*`]);
  }
  if (verbs.size < 2) return [...rules];
  const groups = new Map<string, string[]>();
  for (const [service, vs] of verbs) groups.set(vs.join('|'), [...(groups.get(vs.join('|')) ?? []), service]);
  const out: string[] = [];
  let placed = false;
  for (const rule of rules) {
    if (!re.test(rule)) out.push(rule);
    else if (!placed) {
      placed = true;
      for (const [vs, services] of groups) {
        const names = services.map((name, i) => (i === services.length - 1 ? `${name})` : name));
        names[0] = `Bash(aws <service> ${vs}) for (${names[0] ?? ''}`;
        out.push(...names);
      }
    }
  }
  return out;
}

/** Items joined by ", ", wrapped at `width` with continuation lines indented under the first item. */
function wrap(head: string, items: string[], width: number): string[] {
  const indent = ' '.repeat(6);
  const lines: string[] = [];
  let line = head;
  items.forEach((item, i) => {
    const piece = item + (i < items.length - 1 ? ',' : '');
    if (line.length + piece.length + 1 > width && line.trim() !== '' && line !== head) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += (line === head || line === indent ? '' : ' ') + piece;
  });
  lines.push(line.trimEnd());
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
