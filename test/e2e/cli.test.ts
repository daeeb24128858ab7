import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from '../../src/agent/types.js';
import { conversationKey } from '../../src/core/keys.js';
import { createSqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { describeConversation } from '../../src/sessions/conversation-view.js';

/**
 * The `omnicloud` command end to end, each invocation a separate process with its own TMPDIR (like
 * two stateless containers sharing only the data dir): real SDK binary, offline demo model, the
 * shipped agent-config.
 */
const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/entry/cli.ts');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function omnicloud(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const processTmp = await mkdtemp(join(dir, 'proc-'));
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: processTmp,
        TMPDIR: processTmp,
        OMNICLOUD_DATA_DIR: join(dir, 'data'),
        // A fresh workspace (cwd, CLAUDE_CONFIG_DIR, home) per process, like a new container:
        // only the data dir (the session store) is shared.
        OMNICLOUD_WORKSPACE_DIR: join(processTmp, 'workspaces'),
        ...env,
      },
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function chat(text: string, chatId: string, env: Record<string, string> = {}): Promise<TurnResult> {
  const run = await omnicloud(['chat', '-m', text, '--chat', chatId, '--json'], env);
  expect(run.stderr).toContain('OFFLINE DEMO MODEL');
  return JSON.parse(run.stdout) as TurnResult;
}

describe('omnicloud chat (separate processes)', () => {
  it('two invocations continue one session', async () => {
    const first = await chat('my favourite region is eu-north-1', 'two-proc');
    expect(first.is_error).toBe(false);
    const second = await chat('which region do I like?', 'two-proc');
    expect(second.session_id).toBe(first.session_id);
    expect(second.response).toContain('I was shown 1 earlier user message');
    expect(second.response).toContain('"my favourite region is eu-north-1"');
  });

  it('runs the hello-world skill on a new and on a resumed session', async () => {
    const fresh = await chat('use skill hello-world', 'skills');
    expect(fresh.is_error).toBe(false);
    expect(fresh.response).toContain('produced by the hello-world skill');
    const resumed = await chat('use skill hello-world', 'skills');
    expect(resumed.session_id).toBe(fresh.session_id);
    expect(resumed.response).toContain('produced by the hello-world skill');
  });

  it('dispatches the aws-support subagent from agents.json and keeps its transcript', async () => {
    const result = await chat('ask subagent aws-support: how do I rotate access keys?', 'subagent');
    expect(result.is_error).toBe(false);
    expect(result.response).toContain('Subagent "aws-support" answered');
    expect(result.response).toContain('how do I rotate access keys?');
    const storage = createSqliteStorage({ dataDir: join(dir, 'data') });
    try {
      const view = await describeConversation(
        storage,
        conversationKey({ tenant: 'default', chat: 'subagent' }),
      );
      expect(view?.subagents.length).toBe(1);
      expect(view?.subagents[0]?.subpath).toMatch(/^subagents\/agent-/);
      expect(view?.subagents[0]?.stat?.entries).toBeGreaterThan(0);
    } finally {
      await storage.close();
    }
  });

  it('calls a stdio MCP server configured in mcp.json', async () => {
    const configDir = join(dir, 'config-mcp');
    await cp(join(ROOT, 'agent-config'), configDir, { recursive: true });
    const mcp = JSON.parse(await readFile(join(configDir, 'mcp.json'), 'utf8')) as {
      mcpServers: Record<string, unknown>;
    };
    mcp.mcpServers['echo'] = {
      command: '${NODE_BIN}',
      args: [join(ROOT, 'test/fixtures/test-mcp-server.cjs')],
      alwaysLoad: true,
    };
    await writeFile(join(configDir, 'mcp.json'), JSON.stringify(mcp, null, 2));
    const result = await chat('call tool mcp__echo__echo {"text":"ping from the test"}', 'mcp', {
      OMNICLOUD_CONFIG_DIR: configDir,
      NODE_BIN: process.execPath,
    });
    expect(result.is_error).toBe(false);
    expect(result.response).toContain('ECHO:ping from the test');
  });
});

describe('omnicloud chat --file (separate processes)', () => {
  it('a missing file: a clear error, exit 1, before the agent or the model starts', async () => {
    const missing = join(dir, 'no-such.log');
    const run = await omnicloud(['chat', '-m', 'hi', '--file', missing, '--chat', 'files']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`--file ${missing}: no such file`);
    expect(run.stderr).not.toContain('OFFLINE DEMO MODEL');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a real file is stored under the data dir for the conversation and the turn runs', async () => {
    const file = join(dir, 'app.log');
    await writeFile(file, 'ERROR disk full\n');
    const run = await omnicloud([
      'chat',
      '-m',
      'what does it say?',
      '--file',
      file,
      '--chat',
      'files',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as TurnResult).is_error).toBe(false);
    const storage = createSqliteStorage({ dataDir: join(dir, 'data') });
    try {
      const files = await storage.files.list(conversationKey({ tenant: 'default', chat: 'files' }));
      expect(files.map((f) => [f.name, f.kind, f.direction])).toEqual([['app.log', 'text', 'in']]);
    } finally {
      await storage.close();
    }
  });
});

describe('omnicloud config check', () => {
  it('accepts the shipped agent-config', async () => {
    const run = await omnicloud(['config', 'check']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Agent configuration OK');
  });

  it('lists every problem with file and field, without a stack trace', async () => {
    const bad = join(dir, 'config-bad');
    await cp(join(ROOT, 'agent-config'), bad, { recursive: true });
    await writeFile(
      join(bad, 'agents.json'),
      JSON.stringify({ 'aws-support': { description: 'x', prompt_file: '../../etc/passwd', tools: 'Read' } }),
    );
    await writeFile(join(bad, 'mcp.json'), '{ "mcpServers": { "x": { "type": "http" } ');
    const run = await omnicloud(['config', 'check', '--config-dir', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/agents\.json → aws-support\.prompt_file/);
    expect(run.stderr).toMatch(/agents\.json → aws-support\.tools/);
    expect(run.stderr).toMatch(/mcp\.json/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('rejects unknown commands with usage help', async () => {
    const run = await omnicloud(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });
});
