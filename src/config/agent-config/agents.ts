import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AgentDefinition } from '@anthropic-ai/claude-agent-sdk';
import { z } from 'zod';
import { boundedRecord, boundedText } from '../../core/schema-bounds.js';
import { errnoCode, fieldPath, isNotFound, readJsonFile, type IssueList } from './issues.js';
import {
  MAX_AGENTS,
  MAX_COMMENT_CHARS,
  MAX_DESCRIPTION_CHARS,
  MAX_KEY_CHARS,
  MAX_LIST_ITEMS,
  MAX_PATH_CHARS,
  MAX_PROMPT_FILE_CHARS,
} from './limits.js';
import { NAME_RE, NAME_RULE } from './names.js';

export const AGENTS_FILE = 'agents.json';

/** Model aliases a subagent accepts (the bundled CLI's list), plus `inherit` (the main model). */
export const AGENT_MODEL_ALIASES = ['inherit', 'sonnet', 'opus', 'haiku', 'fable'] as const;
// Full ids: Anthropic API (`claude-sonnet-4-5`), Bedrock ids/inference profiles, Bedrock ARNs.
const FULL_MODEL_RE =
  /^(?:claude-[a-z0-9][a-z0-9.-]*|(?:[a-z]{2,4}\.)?anthropic\.claude-[a-z0-9.:-]+|arn:aws[a-z-]*:bedrock:[A-Za-z0-9:/._-]+)$/;

/**
 * Built-in tool names of the bundled Claude Code (SDK 0.3.332), with their legacy aliases
 * (`Task` → `Agent`). Anything else in `tools` must be `mcp__<server>` or `mcp__<server>__<tool>`.
 */
export const BUILTIN_TOOLS: ReadonlySet<string> = new Set([
  'Agent',
  'AskUserQuestion',
  'Bash',
  'CronCreate',
  'CronDelete',
  'CronList',
  'Edit',
  'EnterPlanMode',
  'ExitPlanMode',
  'Glob',
  'Grep',
  'ListAgents',
  'ListMcpResourcesTool',
  'LSP',
  'Monitor',
  'NotebookEdit',
  'Read',
  'ReadMcpResourceTool',
  'SendMessage',
  'Skill',
  'TaskCreate',
  'TaskGet',
  'TaskList',
  'TaskStop',
  'TaskUpdate',
  'TodoWrite',
  'ToolSearch',
  'WebFetch',
  'WebSearch',
  'Write',
  'Task',
  'KillShell',
  'KillBash',
  'ListMcpResources',
  'ReadMcpResource',
]);

/** One subagent of agents.json. */
export const AGENT_SCHEMA = z.strictObject({
  $comment: z.string().max(MAX_COMMENT_CHARS).optional(),
  description: z
    .string()
    .trim()
    .min(1, 'must be a non-empty string')
    .max(MAX_DESCRIPTION_CHARS, `must be at most ${MAX_DESCRIPTION_CHARS} characters`),
  prompt_file: z
    .string()
    .min(1, 'must be a path relative to the config folder')
    .max(MAX_PATH_CHARS, `must be at most ${MAX_PATH_CHARS} characters`),
  tools: z
    .array(boundedText(MAX_KEY_CHARS))
    .max(MAX_LIST_ITEMS, `must list at most ${MAX_LIST_ITEMS} tools`)
    .optional(),
  model: z
    .string()
    .max(MAX_KEY_CHARS, `must be at most ${MAX_KEY_CHARS} characters`)
    .refine(
      (m) => (AGENT_MODEL_ALIASES as readonly string[]).includes(m) || FULL_MODEL_RE.test(m),
      `must be one of ${AGENT_MODEL_ALIASES.join(', ')} or a full model id (claude-…, a Bedrock model id or ARN)`,
    )
    .optional(),
});
/** agents.json: name → definition; each entry is checked on its own (`AGENT_SCHEMA`) so every problem is listed. */
export const AGENTS_FILE_SCHEMA = boundedRecord(
  // Names are checked with `NAME_RE` below (one message); the pattern is declared for the bounds audit.
  z.string().meta({ pattern: NAME_RE.source }),
  z.unknown(),
  MAX_AGENTS,
);

/**
 * Reads and validates `agents.json` (optional) into the SDK's `agents` option. `mcpServers` holds
 * every server name of mcp.json (enabled or not); `enabledServers` the ones that will be passed.
 */
export async function loadAgents(
  dir: string,
  mcpServers: ReadonlySet<string>,
  enabledServers: ReadonlySet<string>,
  issues: IssueList,
  warnings: IssueList,
): Promise<Record<string, AgentDefinition>> {
  const agents: Record<string, AgentDefinition> = {};
  const read = await readJsonFile(dir, AGENTS_FILE, issues);
  if (read.kind !== 'ok') return agents;
  const file = AGENTS_FILE_SCHEMA.safeParse(read.value);
  if (!file.success) {
    const tooMany = typeof read.value === 'object' && read.value !== null && !Array.isArray(read.value);
    issues.add(
      AGENTS_FILE,
      '',
      tooMany
        ? `must define at most ${MAX_AGENTS} agents`
        : 'expected an object mapping agent names to definitions',
    );
    return agents;
  }
  for (const [name, raw] of Object.entries(file.data)) {
    if (!NAME_RE.test(name)) issues.add(AGENTS_FILE, fieldPath([name]), `invalid agent name: ${NAME_RULE}`);
    const before = issues.size;
    const parsed = AGENT_SCHEMA.safeParse(raw);
    if (!parsed.success) issues.addZod(AGENTS_FILE, [name], parsed.error);
    // Check tools and prompt_file even when other fields are wrong, so one run reports everything.
    const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const tools = Array.isArray(fields.tools) ? fields.tools : [];
    tools.forEach((tool: unknown, i) => {
      if (typeof tool !== 'string') return;
      const problem = checkTool(tool, mcpServers);
      if (problem) issues.add(AGENTS_FILE, fieldPath([name, 'tools', i]), problem);
      const server = mcpServerOf(tool);
      if (!problem && server && !enabledServers.has(server)) {
        warnings.add(
          AGENTS_FILE,
          fieldPath([name, 'tools', i]),
          `MCP server "${server}" is disabled: the agent runs without its tools`,
        );
      }
    });
    const promptFile = fields.prompt_file;
    const prompt =
      typeof promptFile === 'string' && promptFile !== ''
        ? await readInside(dir, promptFile, fieldPath([name, 'prompt_file']), issues)
        : undefined;
    if (!parsed.success || prompt === undefined || issues.size > before) continue;
    const entry = parsed.data;
    agents[name] = {
      description: entry.description,
      prompt,
      ...(entry.tools ? { tools: entry.tools } : {}),
      ...(entry.model ? { model: entry.model } : {}),
    };
  }
  return agents;
}

function mcpServerOf(tool: string): string | undefined {
  const m = /^mcp__(.+?)(?:__.+)?$/.exec(tool);
  return m?.[1];
}

function checkTool(tool: string, mcpServers: ReadonlySet<string>): string | undefined {
  if (tool.includes('*'))
    return 'wildcards are not supported: list tool names, or mcp__<server> for every tool of a server';
  if (tool.startsWith('mcp__')) {
    const server = mcpServerOf(tool);
    if (!server) return 'expected mcp__<server> or mcp__<server>__<tool>';
    return mcpServers.has(server) ? undefined : `unknown MCP server "${server}" (not in mcp.json)`;
  }
  if (BUILTIN_TOOLS.has(tool)) return undefined;
  return `unknown tool "${tool}": not a built-in tool, and MCP tools are written mcp__<server> or mcp__<server>__<tool>`;
}

/**
 * Reads `rel` (relative to `dir`) as UTF-8 text, refusing absolute paths, `..` escapes and
 * symlinks that resolve outside the folder. Adds an issue to `field` of agents.json on failure.
 */
async function readInside(
  dir: string,
  rel: string,
  field: string,
  issues: IssueList,
): Promise<string | undefined> {
  const fail = (message: string) => {
    issues.add(AGENTS_FILE, field, message);
    return undefined;
  };
  if (path.isAbsolute(rel) || rel.includes('\0')) return fail('must be a path relative to the config folder');
  const target = path.resolve(dir, rel);
  if (!isInside(dir, target)) return fail(`"${rel}" points outside the config folder`);
  let text: string;
  try {
    const real = await realpath(target);
    if (!isInside(await realpath(dir), real))
      return fail(`"${rel}" resolves (through a symlink) outside the config folder`);
    if (!(await stat(real)).isFile()) return fail(`"${rel}" is not a file`);
    text = await readFile(real, 'utf8');
  } catch (err) {
    return fail(isNotFound(err) ? `file not found: ${rel}` : `cannot read ${rel} (${errnoCode(err)})`);
  }
  if (text.trim() === '') return fail(`${rel} is empty`);
  if (text.length > MAX_PROMPT_FILE_CHARS)
    return fail(`${rel} is longer than ${MAX_PROMPT_FILE_CHARS} characters (it is sent with every request)`);
  return text.trim();
}

export function isInside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
