import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../src/config/agent-config/index.js';
import { ConfigError, errorMessage } from '../../src/core/errors.js';
import { parseTenantsFile } from '../../src/tenants/index.js';
import { TRAVERSAL_SEGMENTS, decodeLoosely, trickyText } from './arbitraries.js';
import { RUNS, SEED, createFigures, since, watchCrashes, type Figures, yieldToEventLoop } from './figures.js';

/**
 * Fuzzes the agent-config loader (agents.json, mcp.json, skills/<name>/SKILL.md, system_prompt.md
 * written into a fresh folder per case) and the tenants-file parser. Invariants: the result is a
 * config or a `ConfigError` whose issues all name a file and say something — never another
 * exception — and no `prompt_file` ever reads a file outside the folder (a sentinel file next to
 * the folder must never show up in a loaded prompt or in an error message).
 */

const SENTINEL = 'OUTSIDE-SENTINEL-3f9a1c';
const ENV = { MCP_TOKEN: 'tok-123', EMPTY: '', URL_BASE: 'https://example.test' };

let base: string;
const crashWatch = watchCrashes();

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'omni-hostile-config-'));
  await writeFile(join(base, 'outside.md'), `${SENTINEL} outside prompt\n`);
  await mkdir(join(base, 'secret-dir'));
  await writeFile(join(base, 'secret-dir', 'prompt.md'), `${SENTINEL} nested outside\n`);
});
afterAll(async () => {
  crashWatch.stop();
  await rm(base, { recursive: true, force: true });
});

// ---------- generators ----------

const VALID_AGENTS = {
  helper: {
    description: 'Helps.',
    prompt_file: 'agents/helper.md',
    tools: ['Read', 'mcp__docs'],
    model: 'sonnet',
  },
};
const VALID_MCP = {
  mcpServers: {
    docs: { type: 'http', url: '${URL_BASE}/mcp', headers: { Authorization: 'Bearer ${MCP_TOKEN}' } },
    local: { command: 'node', args: ['server.js'], env: { TOKEN: '${MCP_TOKEN}' } },
  },
};

const PROMPT_FILES = [
  'agents/helper.md',
  '../outside.md',
  '../secret-dir/prompt.md',
  'agents/../../outside.md',
  './agents/../../secret-dir/prompt.md',
  join('..', 'outside.md'),
  '/etc/passwd',
  '/proc/self/environ',
  'agents/helper.md\u0000.txt',
  'agents\\..\\..\\outside.md',
  '%2e%2e/outside.md',
  '..%2foutside.md',
  'link-out.md',
  'link-dir/prompt.md',
  'agents',
  '',
  '.',
  '~/.ssh/id_rsa',
  'file:///etc/passwd',
  ...TRAVERSAL_SEGMENTS.map(decodeLoosely),
];

const wrongValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    [],
    {},
    '',
    0,
    -1,
    1e308,
    true,
    '${MISSING}',
    '${',
    '${A:-x}',
    '${bad name}',
    '${EMPTY}',
  ),
  trickyText(60),
);

/** A JSON document: the valid one with some fields replaced, or something else entirely. */
function mutatedJson(valid: unknown, paths: readonly (readonly string[])[]): fc.Arbitrary<string> {
  const mutated = fc
    .array(fc.tuple(fc.constantFrom(...paths), wrongValue), { minLength: 0, maxLength: 3 })
    .map((mutations) => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      for (const [path, value] of mutations) {
        let node: Record<string, unknown> = copy;
        for (const key of path.slice(0, -1)) {
          if (typeof node[key] !== 'object' || node[key] === null) {
            Object.defineProperty(node, key, {
              value: {},
              enumerable: true,
              configurable: true,
              writable: true,
            });
          }
          node = node[key] as Record<string, unknown>;
        }
        Object.defineProperty(node, path[path.length - 1] as string, {
          value: structuredClone(value),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return JSON.stringify(copy, null, 1);
    });
  return fc.oneof(
    { arbitrary: mutated, weight: 6 },
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 100 }), weight: 1 },
    { arbitrary: mutated.map((t) => t.slice(0, Math.max(0, t.length - 3))), weight: 1 },
    { arbitrary: fc.constantFrom(`${'['.repeat(5000)}${']'.repeat(5000)}`, '\ufeff{}', ''), weight: 1 },
  );
}

const agentsJson = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...PROMPT_FILES), fc.oneof(fc.constant('helper'), trickyText(20)))
      .map(([promptFile, name]) =>
        JSON.stringify({ [name]: { ...VALID_AGENTS.helper, prompt_file: promptFile } }),
      ),
    weight: 3,
  },
  {
    arbitrary: mutatedJson(VALID_AGENTS, [
      ['helper', 'description'],
      ['helper', 'prompt_file'],
      ['helper', 'tools'],
      ['helper', 'model'],
      ['helper'],
      ['__proto__'],
      ['../evil'],
    ]),
    weight: 3,
  },
);

const mcpJson = mutatedJson(VALID_MCP, [
  ['mcpServers'],
  ['mcpServers', 'docs', 'url'],
  ['mcpServers', 'docs', 'type'],
  ['mcpServers', 'docs', 'headers'],
  ['mcpServers', 'docs', 'headers', 'Authorization'],
  ['mcpServers', 'local', 'command'],
  ['mcpServers', 'local', 'args'],
  ['mcpServers', 'local', 'env', 'TOKEN'],
  ['mcpServers', 'local', 'timeout'],
  ['mcpServers', 'local', 'enabled'],
  ['mcpServers', '../../x'],
  ['$comment'],
]);

const yamlScalar = fc.oneof(
  trickyText(40),
  fc.constantFrom(
    '',
    '~',
    'null',
    '[]',
    '{}',
    '!!binary AAAA',
    '&a x',
    '*a',
    '|',
    '>',
    '"unterminated',
    "'",
    '- x',
    'a: b: c',
  ),
);

const skillMd = fc.oneof(
  fc
    .tuple(
      yamlScalar,
      yamlScalar,
      trickyText(100),
      fc.constantFrom('', 'allowed-tools: Bash\n', 'extra: 1\n'),
    )
    .map(
      ([name, description, body, extra]) =>
        `---\nname: ${name}\ndescription: ${description}\n${extra}---\n${body}`,
    ),
  fc.constant('---\nname: hello\ndescription: Says hello.\n---\nRun it.\n'),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '---\n---\n',
    '---\nname: hello\n',
    '---\nname: [unclosed\n---\nbody',
    `---\n${'a: '.repeat(2000)}x\n---\nbody`,
    `---\nkey: &anchor ${'[*anchor, '.repeat(50)}\n---\nb`,
    '\ufeff---\nname: hello\ndescription: d\n---\nbody',
    '---\r\nname: hello\r\ndescription: d\r\n---\r\nbody',
  ),
);

const skillName = fc.oneof(
  { arbitrary: fc.constant('hello'), weight: 4 },
  {
    arbitrary: fc.constantFrom('Hello', 'a b', '..x', '-x', 'x'.repeat(80), '\u202ehello', 'hеllo'),
    weight: 1,
  },
);

const configCase = fc.record({
  agents: fc.option(agentsJson, { nil: undefined, freq: 4 }),
  mcp: fc.option(mcpJson, { nil: undefined, freq: 4 }),
  skill: fc.option(fc.tuple(skillName, skillMd), { nil: undefined, freq: 3 }),
  systemPrompt: fc.option(fc.oneof(trickyText(200), fc.constantFrom('', '   \n', `${SENTINEL}?`)), {
    nil: undefined,
    freq: 3,
  }),
  promptBody: fc.oneof(trickyText(100), fc.constant('You help.')),
  links: fc.boolean(),
  strayJson: fc.boolean(),
});

// ---------- invariants ----------

function classify(figures: Figures, outcome: unknown): string {
  if (outcome instanceof ConfigError) {
    const bad = outcome.issues.filter(
      (i) =>
        typeof i.file !== 'string' ||
        i.file.length === 0 ||
        typeof i.message !== 'string' ||
        i.message.trim().length === 0 ||
        typeof i.field !== 'string',
    );
    if (outcome.issues.length === 0) return fail(figures, 'ConfigError without issues');
    if (bad.length > 0)
      return fail(figures, `issues without file/message: ${JSON.stringify(bad).slice(0, 300)}`);
    if (outcome.message.includes(SENTINEL)) return fail(figures, 'an outside file leaked into the error');
    return 'ConfigError';
  }
  if (outcome instanceof Error) return fail(figures, `${outcome.name}: ${errorMessage(outcome)}`);
  return 'loaded';
}

function fail(figures: Figures, reason: string): never {
  figures.fail(reason);
  throw new Error(reason);
}

let caseNo = 0;

describe('hostile input: configuration loaders', () => {
  it(`agent-config folder: ${RUNS} random/mutated folders → config or ConfigError with file+message, no reads outside`, async () => {
    const figures = createFigures('config loader (loadAgentConfig on random folders)');
    let loadedAgents = 0;
    try {
      await fc.assert(
        fc.asyncProperty(configCase, async (c) => {
          await yieldToEventLoop();
          const dir = join(base, `case-${caseNo++}`);
          await mkdir(join(dir, 'agents'), { recursive: true });
          await writeFile(join(dir, 'agents', 'helper.md'), c.promptBody);
          const tags: string[] = [];
          if (c.agents !== undefined) {
            await writeFile(join(dir, 'agents.json'), c.agents);
            tags.push('agents.json');
            if (
              PROMPT_FILES.slice(1).some(
                (p) => p !== '' && c.agents?.includes(JSON.stringify(p).slice(1, -1)),
              )
            )
              tags.push('prompt_file:hostile');
          }
          if (c.mcp !== undefined) {
            await writeFile(join(dir, 'mcp.json'), c.mcp);
            tags.push('mcp.json');
          }
          if (c.skill !== undefined) {
            const [name, md] = c.skill;
            const skillDir = join(dir, 'skills', name);
            await mkdir(skillDir, { recursive: true });
            await writeFile(join(skillDir, 'SKILL.md'), md);
            tags.push('SKILL.md');
          }
          if (c.systemPrompt !== undefined) {
            await writeFile(join(dir, 'system_prompt.md'), c.systemPrompt);
            tags.push('system_prompt.md');
          }
          if (c.links) {
            await symlink(join(base, 'outside.md'), join(dir, 'link-out.md'));
            await symlink(join(base, 'secret-dir'), join(dir, 'link-dir'));
            tags.push('symlinks');
          }
          if (c.strayJson) await writeFile(join(dir, 'agent.json'), '{}');

          const started = performance.now();
          let outcome: unknown;
          try {
            outcome = await loadAgentConfig(dir, { env: ENV });
          } catch (err) {
            outcome = err;
          }
          const ms = since(started);
          const label = classify(figures, outcome);
          if (label === 'loaded') {
            const config = outcome as Awaited<ReturnType<typeof loadAgentConfig>>;
            for (const [name, agent] of Object.entries(config.agents)) {
              loadedAgents++;
              if (agent.prompt.includes(SENTINEL))
                fail(figures, `agent ${name} loaded a prompt from outside the folder (${c.agents})`);
            }
          }
          figures.record(label, ms, tags);
          await rm(dir, { recursive: true, force: true });
        }),
        { numRuns: RUNS, seed: SEED + 3, endOnFailure: true },
      );
    } finally {
      figures.print({ 'agents loaded': loadedAgents, crashes: crashWatch.crashes.length });
    }
    expect(figures.failures).toEqual([]);
    expect(crashWatch.crashes).toEqual([]);
    expect(figures.histogram()['loaded']).toBeGreaterThan(0);
    expect(figures.histogram()['ConfigError']).toBeGreaterThan(0);
  });

  it(`tenants file: ${RUNS} random/mutated YAML documents → config or ConfigError with file+message`, async () => {
    const figures = createFigures('tenants file (parseTenantsFile on random YAML)');
    await mkdir(join(base, 'acme'), { recursive: true });
    const file = join(base, 'tenants.yaml');
    const valid = {
      version: 1,
      admin: { apiTokens: [{ env: 'ADMIN_TOKEN' }] },
      tenants: {
        acme: {
          configDir: './acme',
          telegram: {
            botToken: { ssm: '/omni/acme/bot' },
            webhookSecret: { env: 'ACME_HOOK' },
            allowedUsers: [1],
          },
          api: { tokens: [{ env: 'ACME_API' }] },
          model: 'sonnet',
          provider: 'bedrock',
          budgets: { tenant: { dayUsd: 5 }, user: { monthUsd: 1 } },
        },
      },
    };
    const paths: (readonly string[])[] = [
      ['version'],
      ['admin'],
      ['admin', 'apiTokens'],
      ['tenants'],
      ['tenants', 'acme'],
      ['tenants', 'acme', 'configDir'],
      ['tenants', 'acme', 'telegram', 'botToken'],
      ['tenants', 'acme', 'telegram', 'allowedUsers'],
      ['tenants', 'acme', 'api', 'tokens'],
      ['tenants', 'acme', 'model'],
      ['tenants', 'acme', 'budgets', 'tenant', 'dayUsd'],
      ['tenants', '../evil'],
      ['tenants', 'ACME'],
      ['tenants', '__proto__'],
      ['tenants', 'acme', 'configDir'],
    ];
    const yamlDoc = fc.oneof(
      { arbitrary: mutatedJson(valid, paths), weight: 6 },
      {
        arbitrary: fc.constantFrom(
          'version: 1\ntenants:\n  acme:\n    configDir: ../../../../etc\n',
          'version: 1\ntenants:\n  acme: &a\n    configDir: ./acme\n  beta: *a\n',
          'a: &a [*a]\n',
          `${'- '.repeat(3000)}x`,
          'version: 1\nversion: 1\n',
          '!!js/function "return 1"',
          'version: !!int "1"\ntenants: {}\n',

          'tenants:\n  acme:\n    telegram:\n      botToken: sk-live-abcdef123456\n',
        ),
        weight: 1,
      },
      { arbitrary: trickyText(200), weight: 1 },
    );
    try {
      await fc.assert(
        fc.asyncProperty(yamlDoc, async (text) => {
          await yieldToEventLoop();
          const started = performance.now();
          let outcome: unknown;
          try {
            outcome = parseTenantsFile(text, file);
          } catch (err) {
            outcome = err;
          }
          figures.record(classify(figures, outcome), since(started));
        }),
        { numRuns: RUNS, seed: SEED + 4, endOnFailure: true },
      );
    } finally {
      figures.print({ crashes: crashWatch.crashes.length });
    }
    expect(figures.failures).toEqual([]);
    expect(crashWatch.crashes).toEqual([]);
  });
});
