import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from '../../src/agent/types.js';

/**
 * `omnicloud sessions` end to end, each invocation a separate process sharing only the data dir:
 * a session the real binary wrote (with a subagent, offline demo model, shipped agent-config) is
 * listed, refused as a duplicate, exported, deleted, imported from the binary's own local JSONL
 * into another conversation, and continued there by `omnicloud chat`.
 */
const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/entry/cli.ts');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-cli-sessions-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function omnicloud(args: string[], workspaces?: string): Promise<Run> {
  const processTmp = await mkdtemp(join(dir, 'proc-'));
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: processTmp,
        TMPDIR: processTmp,
        OMNICLOUD_DATA_DIR: join(dir, 'data'),
        OMNICLOUD_WORKSPACE_DIR: workspaces ?? join(processTmp, 'workspaces'),
      },
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every file below `root` whose name is `name`. */
async function find(root: string, name: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name === name).map((e) => join(e.parentPath, e.name));
}

describe('omnicloud sessions (separate processes, real binary)', () => {
  it('lists, refuses a duplicate, exports, deletes, re-imports the local transcript and continues it', async () => {
    const workspaces = join(dir, 'origin-workspaces');
    const question = 'ask subagent aws-support: how do I rotate access keys?';
    const first = await omnicloud(['chat', '-m', question, '--chat', 'origin', '--json'], workspaces);
    const turn = JSON.parse(first.stdout) as TurnResult;
    expect(turn.is_error).toBe(false);
    const sid = turn.session_id;

    // The transcript Claude Code keeps locally: <config>/projects/<project>/<sid>.jsonl + subagents.
    const [local] = await find(workspaces, `${sid}.jsonl`);
    expect(local).toBeDefined();
    expect(await readdir(join(local!.replace(/\.jsonl$/, ''), 'subagents'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^agent-.*\.jsonl$/)]),
    );

    const list = await omnicloud(['sessions', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ sessionId: sid, title: question, turns: 1, current: true, origin: 'turn' }),
    ]);

    const duplicate = await omnicloud(['sessions', 'import', local!, '--chat', 'target', '--yes']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(`session ${sid} is already in tenant default \\(conversation default:origin:main\\)`),
    );

    const md = join(dir, 'origin.md');
    const exported = await omnicloud(['sessions', 'export', sid, '--out', md]);
    expect(exported.code).toBe(0);
    expect(await readFile(md, 'utf8')).toContain(sid);
    expect((await omnicloud(['sessions', 'export', sid, '--out', md])).code).toBe(1);

    const removed = await omnicloud(['sessions', 'delete', sid]);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toContain('add --yes');
    expect((await omnicloud(['sessions', 'delete', sid, '--yes'])).code).toBe(0);

    const imported = await omnicloud(['sessions', 'import', local!, '--chat', 'target', '--yes']);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(/imported (\d+)\/\1 entries/);
    expect(imported.stdout).toMatch(/1 subagent transcript\(s\)/);

    const show = await omnicloud(['sessions', 'show', sid]);
    expect(show.stdout).toMatch(/^origin +imported/m);
    expect(show.stdout).toMatch(/^subagents\/agent-\S+ +\d+ entr/m);

    const next = await omnicloud(['chat', '-m', 'what did I ask before?', '--chat', 'target', '--json']);
    const resumed = JSON.parse(next.stdout) as TurnResult;
    expect(resumed.is_error).toBe(false);
    expect(resumed.session_id).toBe(sid);
    expect(resumed.response).toContain('I was shown 1 earlier user message');
    expect(resumed.response).toContain(question);
  }, 180_000);
});
