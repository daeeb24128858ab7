import { copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentHarness, type AgentHarness } from '../../test/support/agent-harness.js';
import { LeaseConflictError } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import { conversationKey, projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import { silentLogger } from '../core/logger.js';
import { userTexts } from '../model/index.js';
import { historyUntil } from '../sessions/catalog/rules.js';
import { ConversationError } from './errors.js';
import { planImport, runImport, type ImportProgress } from './import.js';
import { createConversationService } from './service.js';
import type { ConversationService } from './types.js';

/**
 * `sessions import` over real SQLite storage, with a transcript the real `claude` binary wrote
 * (offline model), and a turn of the real runner that resumes the imported session.
 */

let h: AgentHarness;
let service: ConversationService;
let work: string;
/** The transcript file the binary wrote for its first turn, and its session id. */
let realFile: string;
let realId: string;

beforeAll(async () => {
  h = await startAgentHarness();
  service = createConversationService({
    storage: h.storage,
    choices: async () => ({ models: {}, defaultModel: undefined, agents: [] }),
    logger: silentLogger,
  });
  const first = await h.runner.runTurn({
    key: conversationKey({ tenant: 'default', chat: 'origin' }),
    text: 'my name is Ada',
  });
  expect(first.is_error).toBe(false);
  realId = first.session_id;
  work = await mkdtemp(join(tmpdir(), 'omni-import-test-'));
  realFile = join(work, `${realId}.jsonl`);
  // Where Claude Code keeps it: <config>/projects/<project>/<session>.jsonl.
  await copyFile(join(h.dir, 'tenants/default/claude/projects/default', `${realId}.jsonl`), realFile);
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const keyOf = (tenant: string, chat = 'ops'): ConversationKey => conversationKey({ tenant, chat });

/** Everything the tenant has in the stores: catalog, transcripts, conversation map. */
async function snapshot(tenant: string) {
  return {
    catalog: await h.storage.sessions.list(tenant as TenantId),
    transcripts: await h.storage.transcripts.listSessions(projectKeyForTenant(tenant as TenantId)),
    conversations: await h.storage.conversations.list(tenant as TenantId),
  };
}

async function importFile(key: ConversationKey, file: string, progress?: ImportProgress[]) {
  const plan = await planImport(h.storage, key, file);
  return runImport({ storage: h.storage, service, logger: silentLogger }, plan, {
    ...(progress ? { onProgress: (p: ImportProgress) => progress.push(p) } : {}),
  });
}

async function refused(tenant: string, file: string): Promise<ConversationError> {
  const before = await snapshot(tenant);
  const err = await importFile(keyOf(tenant), file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConversationError);
  expect(await snapshot(tenant)).toEqual(before);
  return err as ConversationError;
}

describe('sessions import (real transcript, real runner)', () => {
  it('imports a Claude Code transcript into another tenant, and the next turn resumes it', async () => {
    const key = keyOf('acme', '-1001');
    const progress: ImportProgress[] = [];
    const before = Date.now();
    const outcome = await importFile(key, realFile, progress);

    expect(outcome.session).toMatchObject({
      sessionId: realId,
      key,
      origin: 'import',
      turns: 1,
      title: 'my name is Ada',
      costUsd: 0,
      current: true,
      history: 'available',
    });
    const lines = (await readFile(realFile, 'utf8')).split('\n').filter(Boolean);
    expect(outcome.entries).toBe(lines.length);
    expect(progress.at(-1)).toEqual({ subpath: null, written: lines.length, total: lines.length });
    // Dates from the entries; history kept from the import on.
    const stamps = lines
      .map((l) => JSON.parse(l).timestamp)
      .filter(Boolean)
      .map(Date.parse);
    expect(outcome.session.createdAt).toBe(Math.min(...stamps));
    expect(outcome.session.updatedAt).toBe(Math.max(...stamps));
    expect(outcome.session.historyUntil).toBeGreaterThanOrEqual(historyUntil(before));
    expect(await h.storage.conversations.get(key)).toMatchObject({ sessionId: realId, turns: 1 });

    h.model.requests.length = 0;
    const next = await h.runner.runTurn({ key, text: 'what is my name?' });
    expect(next.is_error).toBe(false);
    expect(next.session_id).toBe(realId);
    const last = h.model.requests.at(-1);
    expect(last && userTexts(last)).toEqual(['my name is Ada', 'what is my name?']);
    expect(await h.storage.sessions.get(key.tenant, outcome.session.sessionId)).toMatchObject({
      turns: 2,
      origin: 'import',
    });
  }, 60_000);

  it('round trip: a two-turn session exported from the store imports elsewhere and resumes', async () => {
    const origin = keyOf('acme', '-1001');
    const exported = await service.exportSession(origin.tenant, realId, 'jsonl');
    const dir = join(work, 'exported');
    await mkdir(dir, { recursive: true });
    const file = join(dir, exported.filename);
    await writeFile(file, exported.body);

    const key = keyOf('round', '5');
    const outcome = await importFile(key, file);
    expect(outcome.session).toMatchObject({ turns: 2, title: 'my name is Ada', current: true });
    h.model.requests.length = 0;
    const next = await h.runner.runTurn({ key, text: 'and once more?' });
    expect(next.is_error).toBe(false);
    expect(next.session_id).toBe(realId);
    const last = h.model.requests.at(-1);
    expect(last && userTexts(last)).toEqual(['my name is Ada', 'what is my name?', 'and once more?']);
  }, 60_000);

  it('imports subagent transcripts next to the file, with their sidecar', async () => {
    const dir = join(work, 'with-subagents');
    const file = join(dir, `${realId}.jsonl`);
    await mkdir(join(dir, realId, 'subagents'), { recursive: true });
    await copyFile(realFile, file);
    const sub = [
      {
        type: 'user',
        sessionId: realId,
        isSidechain: true,
        uuid: 'u1',
        message: { role: 'user', content: 'look' },
      },
      {
        type: 'assistant',
        sessionId: realId,
        isSidechain: true,
        uuid: 'a1',
        message: { role: 'assistant', content: [{ type: 'text', text: 'seen' }] },
      },
    ];
    await writeFile(
      join(dir, realId, 'subagents', 'agent-abc.jsonl'),
      sub.map((e) => JSON.stringify(e)).join('\n'),
    );
    await writeFile(
      join(dir, realId, 'subagents', 'agent-abc.meta.json'),
      JSON.stringify({ agentType: 'explorer' }),
    );

    const key = keyOf('subs');
    const outcome = await importFile(key, file);
    expect(outcome.subagents).toEqual(['subagents/agent-abc']);
    const mainKey = { projectKey: projectKeyForTenant(key.tenant), sessionId: realId };
    expect(await h.storage.transcripts.listSubkeys(mainKey)).toEqual(['subagents/agent-abc']);
    const stored = await h.storage.transcripts.load({ ...mainKey, subpath: 'subagents/agent-abc' });
    expect(stored).toEqual([...sub, { type: 'agent_metadata', agentType: 'explorer' }]);
  });

  it('a transcript without a typed prompt still counts one turn, so the next turn resumes it', async () => {
    const id = '22222222-3333-4444-8555-666666666666';
    const file = join(work, `${id}.jsonl`);
    const entry = {
      type: 'assistant',
      sessionId: id,
      uuid: 'a',
      message: { role: 'assistant', content: 'hi' },
    };
    await writeFile(file, JSON.stringify(entry));
    const outcome = await importFile(keyOf('quiet'), file);
    expect(outcome.session).toMatchObject({ turns: 1, title: '' });
    expect(await h.storage.conversations.get(keyOf('quiet'))).toMatchObject({ sessionId: id, turns: 1 });
  });

  it('refuses a session id the tenant already has (catalog or store), changing nothing', async () => {
    const err = await refused('acme', realFile);
    expect(err.code).toBe('session_exists');
    expect(err.message).toContain(realId);
  });

  it('removes everything it wrote when the last step fails (the conversation is busy)', async () => {
    const key = keyOf('busy');
    const lease = await h.storage.leases.acquire(key, { ttlMs: 30_000 });
    try {
      const before = await snapshot('busy');
      const err = await importFile(key, realFile).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaseConflictError);
      expect(await snapshot('busy')).toEqual(before);
      expect(
        await h.storage.transcripts.stat({ projectKey: projectKeyForTenant(key.tenant), sessionId: realId }),
      ).toBeNull();
    } finally {
      await h.storage.leases.release(lease);
    }
    // Nothing left behind: the same file imports once the conversation is free.
    expect((await importFile(key, realFile)).session.sessionId).toBe(realId);
  });
});

describe('sessions import refuses a bad transcript and changes nothing', () => {
  const bad = async (name: string, text: string | Buffer): Promise<string> => {
    const file = join(work, name);
    await writeFile(file, text);
    return file;
  };
  const uuid = '11111111-2222-4333-8444-555555555555';

  it('a line that is not JSON: names the line', async () => {
    const lines = (await readFile(realFile, 'utf8')).split('\n');
    lines[4] = '{"type": "user", "message": ';
    const err = await refused('bad', await bad(`${uuid}.jsonl`, lines.join('\n')));
    expect(err.code).toBe('invalid_import');
    expect(err.message).toMatch(/line 5 is not valid JSON/);
  });

  it('a file that is not JSON at all, or not text', async () => {
    expect((await refused('bad', await bad(`${uuid}.jsonl`, '# notes\nhello\n'))).message).toMatch(
      /line 1 is not valid JSON/,
    );
    expect((await refused('bad', await bad(`${uuid}.jsonl`, '[1,2]\n'))).message).toMatch(
      /line 1 is not a JSON object/,
    );
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]);
    expect((await refused('bad', await bad(`${uuid}.jsonl`, png))).message).toMatch(/not UTF-8 text/);
  });

  it('an empty file, or one with only blank lines', async () => {
    expect((await refused('bad', await bad(`${uuid}.jsonl`, ''))).message).toMatch(/is empty/);
    expect((await refused('bad', await bad(`${uuid}.jsonl`, '\n\n  \n'))).message).toMatch(/no entries/);
  });

  it('a 60 MB file: refused by size before it is read', async () => {
    const file = await bad(`${uuid}.jsonl`, '');
    await truncate(file, 60 * 1024 * 1024);
    const err = await refused('bad', file);
    expect(err.message).toMatch(/is 60\.0 MB with its subagents; the limit is 50\.0 MB/);
  });

  it('a session id that does not match, or none at all', async () => {
    const other = '99999999-8888-4777-8666-555555555555';
    const wrong = await bad(`${other}.jsonl`, await readFile(realFile, 'utf8'));
    expect((await refused('bad', wrong)).message).toContain(
      `named after session ${other} but its entries belong to session ${realId}`,
    );
    const entry = { type: 'user', message: { role: 'user', content: 'hi' } };
    expect((await refused('bad', await bad('export.jsonl', JSON.stringify(entry)))).message).toMatch(
      /no session id/,
    );
    const notUuid = JSON.stringify({ ...entry, sessionId: 'abc' });
    expect((await refused('bad', await bad('export.jsonl', notUuid))).message).toMatch(
      /not a lowercase UUID/,
    );
  });

  it('takes the id from the entries when the file was renamed', async () => {
    const renamed = await bad('renamed-export.jsonl', await readFile(realFile, 'utf8'));
    const plan = await planImport(h.storage, keyOf('renamed'), renamed);
    expect(plan.source.sessionId).toBe(realId);
  });

  it('a transcript without any user or assistant message', async () => {
    const meta = JSON.stringify({ type: 'queue-operation', sessionId: uuid });
    expect((await refused('bad', await bad(`${uuid}.jsonl`, meta))).message).toMatch(
      /no user or assistant message/,
    );
  });

  it('a subagent file with a bad line, or a sidecar that is not JSON', async () => {
    const id = '33333333-4444-4555-8666-777777777777';
    const folder = join(work, 'bad-subagents');
    await mkdir(join(folder, id, 'subagents'), { recursive: true });
    const file = join(folder, `${id}.jsonl`);
    const entry = { type: 'user', sessionId: id, message: { role: 'user', content: 'hi' } };
    await writeFile(file, JSON.stringify(entry));
    const sub = join(folder, id, 'subagents', 'agent-z.jsonl');
    await writeFile(sub, `${JSON.stringify(entry)}\n{oops\n`);
    expect((await refused('bad', file)).message).toContain(`${sub} line 2 is not valid JSON`);
    await writeFile(sub, JSON.stringify(entry));
    await writeFile(join(folder, id, 'subagents', 'agent-z.meta.json'), 'agentType: x');
    expect((await refused('bad', file)).message).toMatch(/agent-z\.meta\.json line 1 is not valid JSON/);
  });

  it('a missing file', async () => {
    expect((await refused('bad', join(work, 'nope.jsonl'))).message).toMatch(/cannot read .*ENOENT/);
  });
});

describe('what counts as a prompt', () => {
  it('the words a person typed: not tool results, meta entries, local commands or the runner’s blocks', async () => {
    const { promptText } = await import('./import-file.js');
    const user = (content: unknown, extra: Record<string, unknown> = {}) => ({
      type: 'user',
      message: { role: 'user', content },
      ...extra,
    });
    expect(promptText(user('disk full?'))).toBe('disk full?');
    expect(
      promptText(
        user([
          { type: 'text', text: '<message_time>2026-11-20T08:30:00.000Z</message_time>' },
          { type: 'text', text: 'is prod up?' },
        ]),
      ),
    ).toBe('is prod up?');
    expect(promptText(user([{ type: 'tool_result', tool_use_id: 't', content: 'ok' }]))).toBeNull();
    expect(promptText(user('Caveat: The messages below were generated…', { isMeta: true }))).toBeNull();
    expect(promptText(user('<command-name>/clear</command-name>'))).toBeNull();
    expect(promptText(user('look', { isSidechain: true }))).toBeNull();
    expect(promptText({ type: 'assistant', message: { role: 'assistant', content: 'hi' } })).toBeNull();
  });
});
