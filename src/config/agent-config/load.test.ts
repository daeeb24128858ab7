import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../core/errors.js';
import { defaultAgentConfigDir, defaultToolPolicy, loadAgentConfig } from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes a config folder from `{ 'relative/path': contents }` (objects become JSON). */
async function folder(files: Record<string, string | object>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-config-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(
      path.join(dir, rel),
      typeof content === 'string' ? content : JSON.stringify(content, null, 2),
    );
  }
  return dir;
}

async function issuesOf(dir: string, env: Record<string, string> = {}): Promise<ConfigIssue[]> {
  try {
    await loadAgentConfig(dir, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/\n\s+at /); // no stack trace in the message
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const SKILL = '---\nname: greet\ndescription: Says hi\n---\nRun `bash .claude/skills/greet/scripts/hi.sh`.\n';
const agent = (over: object = {}) => ({ description: 'helps', prompt_file: 'agents/a.md', ...over });

describe('loadAgentConfig: the shipped folder', () => {
  it('loads cleanly with an empty environment (AWS servers ship disabled)', async () => {
    const config = await loadAgentConfig(defaultAgentConfigDir(), { env: {} });
    expect(Object.keys(config.agents)).toEqual(['aws-support']);
    expect(config.agents['aws-support']?.prompt).toMatch(/AWS support engineer/);
    expect(config.agents['aws-support']?.model).toBe('sonnet');
    expect(config.skills.map((s) => s.name)).toEqual(['hello-world']);
    expect(config.skills[0]?.scripts).toEqual([
      { path: 'scripts/hello.sh', command: 'bash .claude/skills/hello-world/scripts/hello.sh' },
    ]);
    expect(config.mcpServers).toEqual({});
    expect(config.mcpServerSummaries.map((m) => [m.name, m.type, m.enabled])).toEqual([
      ['aws-knowledge', 'http', false],
      ['aws-documentation', 'stdio', false],
    ]);
    expect(config.systemPrompt).toMatch(/OmniCloud Ops Agent/);
    expect(defaultToolPolicy(config)).toEqual({
      allowedTools: ['Agent', 'Bash(bash .claude/skills/hello-world/scripts/hello.sh *)'],
      skills: ['hello-world'],
      permissionMode: 'default',
    });
  });

  it('enables the AWS servers on request, in the SDK shapes', async () => {
    const config = await loadAgentConfig(defaultAgentConfigDir(), {
      env: {},
      enableMcpServers: ['aws-knowledge', 'aws-documentation'],
    });
    expect(config.mcpServers).toEqual({
      'aws-knowledge': { type: 'http', url: 'https://knowledge-mcp.global.api.aws' },
      'aws-documentation': {
        type: 'stdio',
        command: 'uvx',
        args: ['awslabs.aws-documentation-mcp-server@latest'],
        env: { FASTMCP_LOG_LEVEL: 'ERROR', AWS_DOCUMENTATION_PARTITION: 'aws' },
      },
    });
    expect(config.warnings).toEqual([]);
    expect(defaultToolPolicy(config).allowedTools).toEqual([
      'Agent',
      'mcp__aws-knowledge',
      'mcp__aws-documentation',
      'Bash(bash .claude/skills/hello-world/scripts/hello.sh *)',
    ]);
  });
});

describe('loadAgentConfig: valid folders', () => {
  it('accepts an empty folder (every file is optional)', async () => {
    const config = await loadAgentConfig(await folder({}), { env: {} });
    expect(config).toMatchObject({ agents: {}, mcpServers: {}, skills: [], systemPrompt: undefined });
    expect(defaultToolPolicy(config)).toEqual({ allowedTools: [], skills: [], permissionMode: 'default' });
  });

  it('interpolates ${VAR} and ${VAR:-default} from the injected env only', async () => {
    const dir = await folder({
      'mcp.json': {
        mcpServers: {
          api: { type: 'http', url: '${BASE}/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
          local: { command: '${BIN:-node}', args: ['--port', '${PORT:-7000}'], env: { KEY: '${TOKEN}' } },
        },
      },
    });
    process.env.TOKEN = 'from-process-env-must-not-be-used';
    try {
      const config = await loadAgentConfig(dir, {
        env: { BASE: 'https://x.example', TOKEN: 't0k', PORT: '' },
      });
      expect(config.mcpServers).toEqual({
        api: { type: 'http', url: 'https://x.example/mcp', headers: { Authorization: 'Bearer t0k' } },
        local: { type: 'stdio', command: 'node', args: ['--port', '7000'], env: { KEY: 't0k' } },
      });
      // Summaries show the raw values: a resolved one may carry a secret.
      expect(config.mcpServerSummaries[0]?.target).toBe('${BASE}/mcp');
      // Every value the environment supplied, bare, for the logger to mask (defaults came from the
      // file, not the environment, so they are not among them).
      expect([...config.mcpInterpolatedValues].sort()).toEqual(['https://x.example', 't0k', 't0k']);
    } finally {
      delete process.env.TOKEN;
    }
  });

  it('passes alwaysLoad and timeout on, drops disabled servers, keeps `$comment`s out', async () => {
    const dir = await folder({
      'mcp.json': {
        $comment: 'doc',
        mcpServers: {
          on: { $comment: 'x', command: 'srv', alwaysLoad: true, timeout: 5000 },
          off: { type: 'http', url: '${NEEDS_SECRET}', enabled: false },
        },
      },
    });
    const config = await loadAgentConfig(dir, { env: {} });
    expect(config.mcpServers).toEqual({
      on: { type: 'stdio', command: 'srv', alwaysLoad: true, timeout: 5000 },
    });
    expect(config.mcpServerSummaries.find((m) => m.name === 'off')?.enabled).toBe(false);
    expect(config.mcpInterpolatedValues).toEqual([]); // a disabled server's ${VAR}s are not read
    expect(defaultToolPolicy(config).allowedTools).toEqual(['mcp__on']);
  });

  it('reads prompt files, accepts model aliases and full ids, and mcp__ tools of configured servers', async () => {
    const dir = await folder({
      'agents/a.md': '  You help.  \n',
      'agents.json': {
        a: agent({ tools: ['Read', 'Task', 'mcp__docs', 'mcp__docs__search'], model: 'haiku' }),
        b: agent({ model: 'claude-sonnet-4-5' }),
        c: agent({ model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' }),
        d: agent(),
      },
      'mcp.json': { mcpServers: { docs: { command: 'x', enabled: false } } },
    });
    const config = await loadAgentConfig(dir, { env: {} });
    expect(config.agents.a).toEqual({
      description: 'helps',
      prompt: 'You help.',
      tools: ['Read', 'Task', 'mcp__docs', 'mcp__docs__search'],
      model: 'haiku',
    });
    expect(config.agents.d).toEqual({ description: 'helps', prompt: 'You help.' });
    expect(config.warnings.map((w) => w.field)).toEqual(['a.tools[2]', 'a.tools[3]']);
  });

  it('warns about a stray JSON file and a script the SKILL.md never mentions', async () => {
    const dir = await folder({
      'agent.json': {},
      'skills/greet/SKILL.md': '---\nname: greet\ndescription: d\n---\nRun the script.\n',
      'skills/greet/scripts/hi.sh': 'echo hi\n',
    });
    const config = await loadAgentConfig(dir, { env: {} });
    expect(config.warnings.map((w) => [w.file, w.message.slice(0, 30)])).toEqual([
      ['skills/greet/SKILL.md', 'does not mention the exact com'],
      ['agent.json', 'not a configuration file (expe'],
    ]);
  });
});

describe('loadAgentConfig: every problem is reported with file and field', () => {
  it('malformed JSON gives line and column', async () => {
    const dir = await folder({
      'agents.json': '{\n  "a": {\n    "description": "x",\n  }\n}\n',
      'mcp.json': '{"mcpServers": ',
    });
    expect(await issuesOf(dir)).toEqual([
      {
        file: 'mcp.json',
        field: '',
        message: 'malformed JSON at line 1, column 16: Unexpected end of JSON input',
      },
      {
        file: 'agents.json',
        field: '',
        message: 'malformed JSON at line 4, column 3: Expected double-quoted property name',
      },
    ]);
  });

  it('collects wrong types, unknown keys, bad names and bad models across agents', async () => {
    const dir = await folder({
      'agents/a.md': 'p',
      'agents.json': {
        ok: agent(),
        Bad_Name: agent(),
        typed: { description: 3, prompt_file: 'agents/a.md', tools: 'Read', model: 'gpt-4o', colour: 'red' },
        empty: { description: '  ', prompt_file: 'agents/a.md' },
        missing: {},
      },
    });
    expect(await issuesOf(dir)).toEqual([
      { file: 'agents.json', field: 'Bad_Name', message: expect.stringMatching(/^invalid agent name/) },
      { file: 'agents.json', field: 'typed.description', message: 'expected string, received number' },
      { file: 'agents.json', field: 'typed.tools', message: 'expected array, received string' },
      {
        file: 'agents.json',
        field: 'typed.model',
        message: expect.stringMatching(/^must be one of inherit, sonnet/),
      },
      { file: 'agents.json', field: 'typed.colour', message: 'unknown key' },
      { file: 'agents.json', field: 'empty.description', message: 'must be a non-empty string' },
      {
        file: 'agents.json',
        field: 'missing.description',
        message: expect.stringMatching(/expected string/),
      },
      {
        file: 'agents.json',
        field: 'missing.prompt_file',
        message: expect.stringMatching(/expected string/),
      },
    ]);
  });

  it('rejects a top-level array in agents.json', async () => {
    expect(await issuesOf(await folder({ 'agents.json': [] }))).toEqual([
      { file: 'agents.json', field: '', message: 'expected an object mapping agent names to definitions' },
    ]);
  });

  it("rejects an MCP server named like the agent's built-in one (omnicloud: send_file)", async () => {
    const dir = await folder({
      'mcp.json': { mcpServers: { omnicloud: { type: 'http', url: 'https://x.example/mcp' } } },
    });
    expect(await issuesOf(dir)).toEqual([
      {
        file: 'mcp.json',
        field: 'mcpServers.omnicloud',
        message: '"omnicloud" is the built-in server of this agent (send_file); choose another name',
      },
    ]);
  });

  it('rejects unknown tools, wildcards and MCP servers missing from mcp.json', async () => {
    const dir = await folder({
      'agents/a.md': 'p',
      'agents.json': { a: agent({ tools: ['Read', 'Fetch', 'mcp__*', 'mcp__nope__search', 'mcp__'] }) },
    });
    expect((await issuesOf(dir)).map((i) => [i.field, i.message.slice(0, 24)])).toEqual([
      ['a.tools[1]', 'unknown tool "Fetch": no'],
      ['a.tools[2]', 'wildcards are not suppor'],
      ['a.tools[3]', 'unknown MCP server "nope'],
      ['a.tools[4]', 'expected mcp__<server> o'],
    ]);
  });

  it('keeps prompt_file inside the folder: missing files, ../ escapes, absolute paths, symlinks out', async () => {
    const outside = await folder({ 'secret.md': 'secret' });
    const dir = await folder({
      'agents/empty.md': '   \n',
      'agents.json': {
        missing: agent({ prompt_file: 'agents/none.md' }),
        escape: agent({ prompt_file: '../../etc/passwd' }),
        absolute: agent({ prompt_file: '/etc/passwd' }),
        linked: agent({ prompt_file: 'agents/link.md' }),
        folder: agent({ prompt_file: 'agents' }),
        empty: agent({ prompt_file: 'agents/empty.md' }),
      },
    });
    await symlink(path.join(outside, 'secret.md'), path.join(dir, 'agents/link.md'));
    expect((await issuesOf(dir)).map((i) => `${i.field}: ${i.message}`)).toEqual([
      'missing.prompt_file: file not found: agents/none.md',
      'escape.prompt_file: "../../etc/passwd" points outside the config folder',
      'absolute.prompt_file: must be a path relative to the config folder',
      'linked.prompt_file: "agents/link.md" resolves (through a symlink) outside the config folder',
      'folder.prompt_file: "agents" is not a file',
      'empty.prompt_file: agents/empty.md is empty',
    ]);
  });

  it('mcp.json: shape, type, unknown keys, URLs and missing variables', async () => {
    const dir = await folder({
      'mcp.json': {
        mcpServers: {
          docs: { type: 'http', url: '${DOCS_URL}', headers: { Authorization: 'Bearer ${TOKEN}' } },
          ftp: { type: 'ftp', url: 'ftp://x' },
          noCmd: { args: ['x'] },
          bad: { command: 'x', args: [1], bogus: true, enabled: 'yes' },
          url: { type: 'http', url: 'file:///etc/passwd' },
          notUrl: { type: 'sse', url: 'not a url' },
          malformed: { command: '${1BAD}', args: ['${UNCLOSED'] },
          list: [],
        },
      },
    });
    expect((await issuesOf(dir, { TOKEN: 't' })).map((i) => `${i.file} ${i.field}: ${i.message}`)).toEqual([
      'mcp.json mcpServers.docs.url: environment variable DOCS_URL is not set',
      'mcp.json mcpServers.ftp.type: must be "stdio" (the default), "http" or "sse", got "ftp"',
      "mcp.json mcpServers.noCmd: invalid server name: use 1–64 characters a-z, 0-9 and '-' (not at the ends)",
      'mcp.json mcpServers.noCmd.command: expected string, received undefined',
      'mcp.json mcpServers.bad.enabled: expected boolean, received string',
      'mcp.json mcpServers.bad.args[0]: expected string, received number',
      'mcp.json mcpServers.bad.bogus: unknown key',
      'mcp.json mcpServers.url.url: must be an http(s) URL, got file:',
      "mcp.json mcpServers.notUrl: invalid server name: use 1–64 characters a-z, 0-9 and '-' (not at the ends)",
      'mcp.json mcpServers.notUrl.url: not a valid URL: "not a url"',
      'mcp.json mcpServers.malformed.command: malformed variable reference ${1BAD}: use ${NAME} or ${NAME:-default}',
      'mcp.json mcpServers.malformed.args[0]: unterminated variable reference: "${" without a closing "}"',
      'mcp.json mcpServers.list: expected an object with "command" (stdio) or "type": "http" and "url"',
    ]);
  });

  it('mcp.json: a missing top-level mcpServers, and enabling an unknown server', async () => {
    const dir = await folder({ 'mcp.json': { servers: {} } });
    expect(await issuesOf(dir)).toEqual([
      { file: 'mcp.json', field: 'mcpServers', message: expect.stringMatching(/expected record/) },
      { file: 'mcp.json', field: 'servers', message: 'unknown key' },
    ]);
    const dir2 = await folder({ 'mcp.json': { mcpServers: {} } });
    await expect(loadAgentConfig(dir2, { env: {}, enableMcpServers: ['ghost'] })).rejects.toMatchObject({
      issues: [
        {
          file: 'mcp.json',
          field: 'mcpServers.ghost',
          message: 'asked to enable a server that is not configured',
        },
      ],
    });
  });

  it('skills: missing SKILL.md, bad frontmatter, name mismatch, unknown keys, symlinks, stray files', async () => {
    const dir = await folder({
      'skills/README.txt': 'not a skill',
      'skills/no-md/scripts/x.sh': 'echo',
      'skills/no-fm/SKILL.md': '# Just markdown\n',
      'skills/bad-yaml/SKILL.md': '---\nname: bad-yaml\ndescription: [unclosed\n---\nbody\n',
      'skills/mismatch/SKILL.md':
        '---\nname: other\ndescription: d\nallowed-tools: Bash(*)\ncolour: red\n---\nbody\n',
      'skills/no-desc/SKILL.md': '---\nname: no-desc\n---\nbody\n',
      'skills/no-body/SKILL.md': '---\nname: no-body\ndescription: d\n---\n',
      'skills/Upper/SKILL.md': SKILL,
      'skills/linked/SKILL.md': '---\nname: linked\ndescription: d\n---\nbody\n',
      'skills/spaces/SKILL.md': '---\nname: spaces\ndescription: d\n---\nbody\n',
      'skills/spaces/scripts/run me.sh': 'echo',
      'skills/.hidden/whatever': 'ignored',
    });
    await symlink('/etc/passwd', path.join(dir, 'skills/linked/passwd'));
    const expected: Array<[string, string, RegExp]> = [
      ['skills/README.txt', '', /^not a skill folder: expected skills\/<name>\/SKILL.md/],
      ['skills/Upper', '', /^invalid skill folder name/],
      ['skills/Upper/SKILL.md', 'name', /^must equal the folder name "Upper", got "greet"/],
      ['skills/bad-yaml/SKILL.md', '', /^malformed YAML frontmatter at line 3, column \d+: /],
      ['skills/linked/passwd', '', /^symbolic links are not allowed/],
      [
        'skills/mismatch/SKILL.md',
        'allowed-tools',
        /^not supported: tool permissions come from the tool policy/,
      ],
      ['skills/mismatch/SKILL.md', 'colour', /^unknown key$/],
      ['skills/mismatch/SKILL.md', 'name', /^must equal the folder name "mismatch", got "other"/],
      ['skills/no-body/SKILL.md', '', /^has no instructions after the frontmatter/],
      ['skills/no-desc/SKILL.md', 'description', /expected string, received undefined/],
      ['skills/no-fm/SKILL.md', '', /^must start with YAML frontmatter/],
      ['skills/no-md/SKILL.md', '', /^missing: every skill folder needs a SKILL.md/],
      ['skills/spaces/scripts/run me.sh', '', /^script paths may only use/],
    ];
    const issues = await issuesOf(dir);
    expect(issues.map((i) => [i.file, i.field])).toEqual(expected.map(([f, field]) => [f, field]));
    issues.forEach((issue, n) => expect(issue.message).toMatch(expected[n]?.[2] ?? /^$/));
  });

  it('system_prompt.md: empty is an error, absent is fine', async () => {
    expect(await issuesOf(await folder({ 'system_prompt.md': ' \n' }))).toEqual([
      {
        file: 'system_prompt.md',
        field: '',
        message: 'is empty: delete it to use the default system prompt',
      },
    ]);
  });

  it('a missing folder is one issue, not a stack trace', async () => {
    const issues = await issuesOf('/nonexistent/agent-config');
    expect(issues).toEqual([
      { file: '.', field: '', message: expect.stringMatching(/not readable \(ENOENT\)/) },
    ]);
  });

  it('reports problems from every file in one error', async () => {
    const dir = await folder({
      'agents.json': { a: agent({ prompt_file: 'nope.md' }) },
      'mcp.json': { mcpServers: { s: { command: '${MISSING}' } } },
      'skills/x/SKILL.md': 'no frontmatter',
    });
    const err = await loadAgentConfig(dir, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.file)).toEqual([
      'mcp.json',
      'agents.json',
      'skills/x/SKILL.md',
    ]);
    expect((err as ConfigError).message).toContain(
      'mcp.json → mcpServers.s.command: environment variable MISSING is not set',
    );
  });
});
