import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.js';
import { AGENTS_FILE, loadAgents } from './agents.js';
import { loadEventRoutes } from './events.js';
import type { EnvRecord } from './interpolate.js';
import { errnoCode, IssueList, isNotFound } from './issues.js';
import { MAX_PROMPT_FILE_CHARS } from './limits.js';
import { loadMcp, MCP_FILE } from './mcp.js';
import { loadPermissions, PERMISSIONS_FILE } from './permissions.js';
import { loadSchedules } from './schedules.js';
import { loadSkills } from './skills.js';
import type { AgentConfig } from './types.js';

export const SYSTEM_PROMPT_FILE = 'system_prompt.md';

export interface LoadAgentConfigOptions {
  /** Values for `${VAR}` references in mcp.json (inject; e.g. the parsed process env). */
  env: EnvRecord;
  /** MCP servers to enable even though mcp.json says `"enabled": false`. */
  enableMcpServers?: readonly string[];
}

/**
 * Loads and validates an agent-configuration folder: `agents.json`, `mcp.json`, `permissions.json`,
 * `skills/<name>/SKILL.md`, `system_prompt.md` and `events.yaml`, all optional. Every problem in every file is
 * collected and thrown as one `ConfigError` (file relative to the folder + JSON-path field).
 */
export async function loadAgentConfig(dir: string, options: LoadAgentConfigOptions): Promise<AgentConfig> {
  const root = path.resolve(dir);
  try {
    if (!(await stat(root)).isDirectory())
      throw new ConfigError([{ file: '.', field: '', message: `${root} is not a folder` }]);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([
      { file: '.', field: '', message: `config folder ${root} is not readable (${errnoCode(err)})` },
    ]);
  }
  const issues = new IssueList();
  const warnings = new IssueList();

  const mcp = await loadMcp(root, options.env, new Set(options.enableMcpServers ?? []), issues);
  const agents = await loadAgents(root, mcp.names, new Set(Object.keys(mcp.servers)), issues, warnings);
  const permissions = await loadPermissions(root, mcp.names, issues, warnings);
  const skills = await loadSkills(root, issues, warnings);
  const systemPrompt = await loadSystemPrompt(root, issues);
  const schedules = await loadSchedules(root, new Set(Object.keys(agents)), issues); // schedules.yaml
  const events = await loadEventRoutes(root, issues);
  await warnAboutStrayJson(root, warnings);

  if (issues.size > 0) throw new ConfigError(issues.items);
  return {
    dir: root,
    agents,
    mcpServers: mcp.servers,
    mcpServerSummaries: mcp.summaries,
    mcpInterpolatedValues: mcp.interpolated,
    skills,
    permissions: permissions.permissions,
    permissionsSource: permissions.source,
    systemPrompt,
    schedules,
    events,
    warnings: warnings.items,
  };
}

async function loadSystemPrompt(root: string, issues: IssueList): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(root, SYSTEM_PROMPT_FILE), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    issues.add(SYSTEM_PROMPT_FILE, '', `cannot read (${errnoCode(err)})`);
    return undefined;
  }
  if (text.trim() === '') {
    issues.add(SYSTEM_PROMPT_FILE, '', 'is empty: delete it to use the default system prompt');
    return undefined;
  }
  if (text.length > MAX_PROMPT_FILE_CHARS) {
    issues.add(
      SYSTEM_PROMPT_FILE,
      '',
      `is longer than ${MAX_PROMPT_FILE_CHARS} characters (it is sent with every request)`,
    );
    return undefined;
  }
  return text.trim();
}

/** A typo like `agent.json` would otherwise be ignored silently. */
async function warnAboutStrayJson(root: string, warnings: IssueList): Promise<void> {
  const known = new Set([AGENTS_FILE, MCP_FILE, PERMISSIONS_FILE]);
  for (const name of await readdir(root)) {
    if (name.endsWith('.json') && !known.has(name)) {
      warnings.add(name, '', `not a configuration file (expected ${[...known].join(', ')}): ignored`);
    }
  }
}

/**
 * The shipped `agent-config/` folder at the package root (found by walking up from this module,
 * so it works from `src/` under tsx/vitest and from `dist/` after a build).
 */
export function defaultAgentConfigDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'agent-config');
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve('agent-config');
    dir = parent;
  }
}
