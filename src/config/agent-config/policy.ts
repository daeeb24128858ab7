import path from 'node:path';
import type { AgentConfig } from './types.js';

/** The permission-related `Options` for a run: spread into `query({ options })`. */
export interface ToolPolicy {
  /** `Options.allowedTools`: the only calls that run without an approval. */
  allowedTools: string[];
  /** `Options.skills`: the configured skills only (the SDK adds `Skill(<name>)` allow rules). */
  skills: string[];
  /** Default mode: anything not allowed above is denied unless `canUseTool` approves it. */
  permissionMode: 'default';
}

export interface ToolPolicyOptions {
  /** The run's cwd: also allow each script by its absolute path (the model sometimes expands it). */
  cwd?: string;
}

/**
 * The default tool policy: what the configured agents, skills and MCP servers need, nothing more.
 *
 * - `Agent` when subagents are configured (the dispatch tool; `Task` is its legacy alias).
 * - `mcp__<server>` for each enabled MCP server (every tool of that server, main agent and subagents).
 * - One Bash rule per bundled skill script: `Bash(<interpreter> .claude/skills/<skill>/scripts/<file> *)`
 *   — that exact command with any arguments. Compound commands are checked part by part, so
 *   `… hello.sh && curl x` is still denied; other commands (curl, a different script, `../`
 *   paths, redirections outside the cwd) are denied.
 * - Skills through `skills` (the SDK turns each into a `Skill(<name>)` rule and hides the CLI's
 *   bundled skills).
 *
 * Not granted: WebFetch, WebSearch, Write/Edit, Read outside the cwd, any other Bash. In the
 * default permission mode, reading files inside the cwd (e.g. a skill's own files) needs no rule.
 */
export function defaultToolPolicy(
  config: Pick<AgentConfig, 'agents' | 'mcpServers' | 'skills'>,
  options: ToolPolicyOptions = {},
): ToolPolicy {
  const allowed: string[] = [];
  if (Object.keys(config.agents).length > 0) allowed.push('Agent');
  for (const name of Object.keys(config.mcpServers)) allowed.push(`mcp__${name}`);
  for (const skill of config.skills) {
    for (const script of skill.scripts) {
      allowed.push(bashRule(script.command));
      if (options.cwd) {
        const [interpreter, rel] = splitCommand(script.command);
        allowed.push(bashRule(`${interpreter} ${path.join(path.resolve(options.cwd), rel)}`));
      }
    }
  }
  return { allowedTools: allowed, skills: config.skills.map((s) => s.name), permissionMode: 'default' };
}

/** `Bash(cmd *)`: the command itself, or followed by arguments (checked with the binary). */
function bashRule(command: string): string {
  return `Bash(${command} *)`;
}

function splitCommand(command: string): [string, string] {
  const i = command.indexOf(' ');
  return [command.slice(0, i), command.slice(i + 1)];
}
