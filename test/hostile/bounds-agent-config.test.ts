import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AGENT_MODEL_ALIASES,
  AGENT_SCHEMA,
  AGENTS_FILE_SCHEMA,
} from '../../src/config/agent-config/agents.js';
import { EVENTS_SCHEMA } from '../../src/config/agent-config/events.js';
import { defaultToolPolicy, loadAgentConfig } from '../../src/config/agent-config/index.js';
import { MAX_AGENTS, MAX_MCP_SERVERS, MAX_PROMPT_FILE_CHARS } from '../../src/config/agent-config/limits.js';
import { MCP_FILE_SCHEMA, MCP_SERVER_SCHEMA } from '../../src/config/agent-config/mcp.js';
import { NAME_RE } from '../../src/config/agent-config/names.js';
import { PERMISSIONS_FILE_SCHEMA } from '../../src/config/agent-config/permissions.js';
import { SCHEDULES_FILE_SCHEMA } from '../../src/config/agent-config/schedules.js';
import { SKILL_FRONTMATTER_SCHEMA } from '../../src/config/agent-config/skills.js';
import { ConfigError } from '../../src/core/errors.js';
import { boundedRecord } from '../../src/core/schema-bounds.js';
import { SCHEDULE_SPEC_SCHEMA } from '../../src/schedules/spec.js';
import { checkConfigBoundary, dotted } from './bounds-harness.js';
import { SEED, watchCrashes } from './figures.js';
import { boundIssues, type SchemaCase } from './schema-cases.js';

/**
 * Bounds of the agent-config folder (issue 18): every file's schema audited, and schema-derived
 * files written into a fresh folder through the real `loadAgentConfig` and, when loaded, into the
 * default tool policy built from it. Entries checked one by one by the loader (agents, MCP
 * servers, schedules) are generated from the entry schema inside a bounded record.
 */

const crashWatch = watchCrashes();
let base: string;
let caseNo = 0;
const ENV = { TOKEN: 'tok-123' };

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'omni-bounds-agent-config-'));
});
afterAll(async () => {
  crashWatch.stop();
  await rm(base, { recursive: true, force: true });
});

/** Writes `files` into a fresh folder and loads it. */
async function loadFolder(files: Record<string, string>) {
  const dir = join(base, `case-${caseNo++}`);
  await mkdir(join(dir, 'agents'), { recursive: true });
  await writeFile(join(dir, 'agents', 'p.md'), 'You help.\n');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  try {
    return await loadAgentConfig(dir, { env: ENV });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The loader reports `file` + `helper.tools[0]`; the case path is relative to the file's value. */
const fieldOf = (field: string) => dotted(field);

/** Everything the folder feeds the runner: the default tool policy. */
function usePolicy(config: Awaited<ReturnType<typeof loadAgentConfig>>): string[] {
  const policy = defaultToolPolicy(config, { cwd: '/tmp/run' });
  if (!Array.isArray(policy.allowedTools)) throw new Error('no tool policy');
  for (const agent of Object.values(config.agents))
    if (agent.prompt.length > MAX_PROMPT_FILE_CHARS) throw new Error('prompt too long');
  return [
    `agents:${Object.keys(config.agents).length > 0}`,
    `mcp:${Object.keys(config.mcpServers).length > 0}`,
  ];
}

const BUILTINS = ['Read', 'Grep', 'Glob', 'Bash', 'WebFetch', 'Edit', 'Write'];

/** A valid agents.json case: prompt files and tools the loader can resolve. */
function resolvableAgents(c: SchemaCase): SchemaCase {
  if (typeof c.value !== 'object' || c.value === null) return c;
  for (const [name, raw] of Object.entries(c.value)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
    const agent = raw as Record<string, unknown>;
    const mine = (field: string) => c.kind === 'invalid' && c.path.startsWith(`${name}.${field}`);
    if (typeof agent['prompt_file'] === 'string' && !mine('prompt_file'))
      agent['prompt_file'] = 'agents/p.md';
    if (Array.isArray(agent['tools']) && !mine('tools'))
      agent['tools'] = agent['tools'].map((t, i) =>
        typeof t === 'string' ? BUILTINS[i % BUILTINS.length] : t,
      );
    if (typeof agent['model'] === 'string' && !mine('model'))
      agent['model'] = AGENT_MODEL_ALIASES[agent['model'].length % AGENT_MODEL_ALIASES.length];
  }
  return c;
}

/**
 * A valid permissions.json case: each rule made a rule the grammar takes (`Bash(<text>)`), keeping
 * its text and length — the rule grammar has its own suite (approvals); here the file's bounds count.
 */
function ruleShaped(c: SchemaCase): SchemaCase {
  if (c.kind !== 'valid' || typeof c.value !== 'object' || c.value === null) return c;
  const file = c.value as Record<string, unknown>;
  for (const list of ['allow', 'ask', 'deny']) {
    const rules = file[list];
    if (!Array.isArray(rules)) continue;
    file[list] = rules.map((r: unknown) => {
      const text = typeof r === 'string' ? r.replace(/[()\s]/g, '').slice(0, 990) : '';
      return text === '' ? 'Read' : `Bash(${text})`;
    });
  }
  return c;
}

describe('bounds: agent-config folder', () => {
  it('audit: every file of the folder is bounded', () => {
    const each = 'checked entry by entry by the loader with the entry schema, audited here too';
    expect(boundIssues(AGENTS_FILE_SCHEMA, { '{}': each })).toEqual([]);
    expect(boundIssues(AGENT_SCHEMA)).toEqual([]);
    expect(boundIssues(MCP_FILE_SCHEMA, { 'mcpServers.{}': each })).toEqual([]);
    expect(boundIssues(MCP_SERVER_SCHEMA)).toEqual([]);
    expect(boundIssues(PERMISSIONS_FILE_SCHEMA)).toEqual([]);
    expect(boundIssues(EVENTS_SCHEMA)).toEqual([]);
    expect(boundIssues(SCHEDULES_FILE_SCHEMA, { 'schedules.[]': each })).toEqual([]);
    expect(boundIssues(SCHEDULE_SPEC_SCHEMA)).toEqual([]);
    expect(
      boundIssues(SKILL_FRONTMATTER_SCHEMA, {
        'metadata.{}':
          'free-form and never read: the SKILL.md is installed as written, its size is capped (MAX_SKILL_BYTES)',
      }),
    ).toEqual([]);
  });

  it('agents.json: schema cases through loadAgentConfig and the tool policy', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: agents.json (loadAgentConfig → tool policy)',
      schema: boundedRecord(z.string().regex(NAME_RE), AGENT_SCHEMA, MAX_AGENTS),
      seed: SEED + 40,
      prepare: resolvableAgents,
      load: (value) => loadFolder({ 'agents.json': JSON.stringify(value) }),
      use: usePolicy,
      fieldPath: fieldOf,
      // `description` is trimmed before its minimum length (JSON Schema cannot say so).
      refinements: /must be a non-empty string/,
      options: { typicalItems: 2, typicalLength: 20 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
  });

  it('mcp.json: schema cases through loadAgentConfig and the tool policy', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: mcp.json (loadAgentConfig → tool policy)',
      schema: MCP_FILE_SCHEMA.extend({
        mcpServers: boundedRecord(z.string().regex(NAME_RE), MCP_SERVER_SCHEMA, MAX_MCP_SERVERS),
      }),
      seed: SEED + 41,
      load: (value) => loadFolder({ 'mcp.json': JSON.stringify(value) }),
      use: usePolicy,
      fieldPath: fieldOf,
      refinements: /built-in server|not set|\$\{|not a valid URL|must be an http\(s\) URL/i,
      options: { typicalItems: 2, typicalLength: 20 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
  });

  it('permissions.json: schema cases through loadAgentConfig and the tool policy', async () => {
    const figures = await checkConfigBoundary({
      suite: 'bounds: permissions.json (loadAgentConfig → tool policy)',
      schema: PERMISSIONS_FILE_SCHEMA,
      seed: SEED + 42,
      prepare: ruleShaped,
      load: (value) => loadFolder({ 'permissions.json': JSON.stringify(value) }),
      use: usePolicy,
      fieldPath: fieldOf,
      options: { typicalItems: 2, typicalLength: 20 },
    });
    expect(figures.failures).toEqual([]);
    expect(figures.histogram()['valid → accepted and used']).toBeGreaterThan(200);
  });

  it('prompt files: system_prompt.md and a subagent prompt at the size bound load; one past it is refused naming the file', async () => {
    const at = 'x'.repeat(MAX_PROMPT_FILE_CHARS);
    const agents = JSON.stringify({ helper: { description: 'Helps.', prompt_file: 'agents/big.md' } });
    const ok = await loadFolder({ 'system_prompt.md': at, 'agents/big.md': at, 'agents.json': agents });
    expect(ok.systemPrompt?.length).toBe(MAX_PROMPT_FILE_CHARS);
    const refused = await loadFolder({
      'system_prompt.md': `${at}y`,
      'agents/big.md': `${at}y`,
      'agents.json': agents,
    }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).issues.map((i) => `${i.file} ${i.field}`).sort()).toEqual([
      'agents.json helper.prompt_file',
      'system_prompt.md ',
    ]);
  });
});
