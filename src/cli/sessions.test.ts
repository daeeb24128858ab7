import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationError } from '../conversations/errors.js';
import { createConversationService } from '../conversations/service.js';
import { DAY_MS, ManualClock } from '../core/clock.js';
import { parseSessionId, type TenantId } from '../core/ids.js';
import { conversationKey, projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import { silentLogger } from '../core/logger.js';
import { createSqliteStorage, type SqliteStorage } from '../sessions/adapters/sqlite/index.js';
import { toJsonl } from '../sessions/conversation-view.js';
import type { SessionStoreEntry } from '../sessions/types.js';
import { UsageError } from './args.js';
import { SessionsCommandError } from './sessions-actions.js';
import { runSessions, type SessionsIO } from './sessions.js';
import { textWidth } from './text-width.js';

/** `omnicloud sessions` over real SQLite storage in a temp dir and the real conversation service. */

const NOW = Date.UTC(2026, 11, 2, 9, 0);
const acme = 'acme' as TenantId;
const ID = {
  a: parseSessionId('aaaaaaaa-0000-4000-8000-000000000001'),
  b: parseSessionId('bbbbbbbb-0000-4000-8000-000000000002'),
  c: parseSessionId('cccccccc-0000-4000-8000-000000000003'),
  old: parseSessionId('dddddddd-0000-4000-8000-000000000004'),
};
const LONG_TITLE =
  'Why did the nightly backup of the billing database fail three times in a row last week, and what should we change?';
const UNICODE_TITLE = '障害報告 🚨 デプロイ後にAPIが遅い — zählt die Latenz über 2 s? 👩‍💻 Ünïcödé ẞ';

let dir: string;
let storage: SqliteStorage;
let clock: ManualClock;

const key = (chat: string, thread?: string): ConversationKey =>
  conversationKey({ tenant: acme, chat, thread });
const entries = (text: string): SessionStoreEntry[] => [
  { type: 'user', uuid: `${text}-u`, message: { role: 'user', content: text } },
  {
    type: 'assistant',
    uuid: `${text}-a`,
    message: { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
  },
];

/** A session with `turns` turns ending at `at`, its transcript stored. */
async function seed(
  k: ConversationKey,
  id: typeof ID.a,
  title: string,
  at: number,
  turns = 1,
  current = false,
) {
  for (let i = 0; i < turns; i++) {
    await storage.sessions.recordTurn(k, id, { at, title, costUsd: 0.0123, model: 'claude-sonnet-4-5' });
  }
  await storage.transcripts.append(
    { projectKey: projectKeyForTenant(k.tenant), sessionId: id },
    entries(title),
  );
  if (current) await storage.conversations.switchTo(k, id, turns);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-sessions-cli-'));
  clock = new ManualClock(NOW);
  storage = createSqliteStorage({ dataDir: join(dir, 'data'), clock });
  await seed(key('-1001234'), ID.a, LONG_TITLE, NOW - 60_000, 3, true);
  await seed(key('-1001234', '42'), ID.b, UNICODE_TITLE, NOW - 120_000);
  await seed(key('77'), ID.c, 'short one', NOW - 180_000);
  await seed(key('77'), ID.old, 'from long ago', NOW - 30 * DAY_MS);
  await storage.transcripts.append(
    { projectKey: projectKeyForTenant(acme), sessionId: ID.a, subpath: 'subagents/agent-x1' },
    entries('sub task'),
  );
});

afterEach(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

interface Harness {
  out: string[];
  err: string[];
  written: string[];
  asked: string[];
  closed: number;
  run(argv: string[]): Promise<number>;
}

function harness(
  options: { columns?: number; interactive?: boolean; answers?: string[]; tenants?: TenantId[] } = {},
): Harness {
  const h: Harness = {
    out: [],
    err: [],
    written: [],
    asked: [],
    closed: 0,
    run: async (argv) => {
      const answers = [...(options.answers ?? [])];
      const io: SessionsIO = {
        out: (l) => h.out.push(l),
        err: (l) => h.err.push(l),
        write: (s) => h.written.push(s),
        columns: options.columns,
        interactive: options.interactive ?? false,
        ask: async (q) => {
          h.asked.push(q);
          return answers.shift() ?? null;
        },
      };
      return runSessions(argv, io, async () => ({
        storage,
        service: createConversationService({
          storage,
          choices: async () => ({ models: {}, defaultModel: undefined, agents: [] }),
          logger: silentLogger,
          clock,
        }),
        tenants: options.tenants ?? [acme],
        logger: silentLogger,
        now: () => clock.now(),
        close: async () => void h.closed++,
      }));
    },
  };
  return h;
}

const lines = (h: Harness) => h.out.join('\n');

describe('omnicloud sessions list', () => {
  it('prints a table fitting 100 columns by default: full ids, title cut with "…", newest first', async () => {
    const h = harness();
    expect(await h.run(['list'])).toBe(0);
    // 100 columns leave too little for a title beside the rest: cost gives way first.
    expect(h.out[0]).toMatch(/^UPDATED \(UTC\)\s+SESSION\s+CHAT\s+TURNS\s+STATE\s+TITLE$/);
    expect(h.out).toHaveLength(5);
    expect(h.out[1]).toMatch(
      /^2026-12-02 08:59 {2}aaaaaaaa-0000-4000-8000-000000000001 {2}-1001234 +3 {2}current {2}Why did.*…$/,
    );
    expect(h.out[2]).toContain('-1001234/42');
    expect(h.out[3]).toMatch(/77 .* short one$/);
    expect(h.out[4]).toMatch(/dddddddd-0000-4000-8000-000000000004 .* expired {2}from long ago$/);
    for (const line of h.out) expect(textWidth(line)).toBeLessThanOrEqual(100);
    for (const id of Object.values(ID)) expect(lines(h)).toContain(id);
    expect(h.closed).toBe(1);
  });

  it('fits narrow and wide terminals, counting wide characters as two columns', async () => {
    const wide = harness({ columns: 220 });
    await wide.run(['list']);
    expect(wide.out[1]).toContain(LONG_TITLE);
    expect(wide.out[2]).toContain(UNICODE_TITLE);

    const mid = harness({ columns: 130 });
    await mid.run(['list']);
    expect(mid.out[0]).toContain('COST');
    for (const line of mid.out) expect(textWidth(line)).toBeLessThanOrEqual(130);
    expect(mid.out[2]).toMatch(/障害報告.*…$/);

    // Narrower than the fixed columns: ids stay whole, the title keeps a readable minimum.
    const narrow = harness({ columns: 60 });
    await narrow.run(['list']);
    expect(narrow.out[1]).toContain(ID.a);
    expect(narrow.out[0]).toMatch(/^UPDATED \(UTC\)\s+SESSION\s+CHAT\s+STATE\s+TITLE$/);
    const title = narrow.out[2]!.split('  ').at(-1)!;
    expect(textWidth(title)).toBeLessThanOrEqual(14);
    expect(title.endsWith('…')).toBe(true);
  });

  it('--json prints one array with every field, --chat/--thread/--limit filter', async () => {
    const h = harness();
    expect(await h.run(['list', '--json'])).toBe(0);
    const all = JSON.parse(lines(h));
    expect(all).toHaveLength(4);
    expect(all[0]).toEqual({
      key: { tenant: 'acme', chat: '-1001234', thread: 'main' },
      sessionId: ID.a,
      createdAt: NOW - 60_000,
      updatedAt: NOW - 60_000,
      turns: 3,
      title: LONG_TITLE,
      costUsd: expect.closeTo(0.0369, 6),
      model: 'claude-sonnet-4-5',
      origin: 'turn',
      historyUntil: NOW - 60_000 + 25 * DAY_MS,
      current: true,
      history: 'available',
    });
    expect(all[1].title).toBe(UNICODE_TITLE);
    expect(all[3]).toMatchObject({ sessionId: ID.old, history: 'expired', current: false });

    const chat = harness();
    await chat.run(['list', '--chat', '-1001234', '--json']);
    expect(JSON.parse(lines(chat)).map((s: { sessionId: string }) => s.sessionId)).toEqual([ID.a, ID.b]);
    const thread = harness();
    await thread.run(['list', '--chat', '-1001234', '--thread', '42', '--json']);
    expect(JSON.parse(lines(thread)).map((s: { sessionId: string }) => s.sessionId)).toEqual([ID.b]);
    const limited = harness();
    await limited.run(['list', '--limit', '2', '--json']);
    expect(JSON.parse(lines(limited))).toHaveLength(2);
  });

  it('needs --tenant when there are several, and names them; refuses an unknown one', async () => {
    const two = harness({ tenants: [acme, 'beta' as TenantId] });
    await expect(two.run(['list'])).rejects.toThrow(
      new SessionsCommandError(
        'sessions: this deployment has 2 tenants; choose one with --tenant (acme, beta)',
      ),
    );
    expect(two.closed).toBe(1);
    await expect(harness().run(['list', '--tenant', 'zeta'])).rejects.toThrow(
      /no tenant zeta in this deployment \(tenants: acme\)/,
    );
    const beta = harness({ tenants: [acme, 'beta' as TenantId] });
    expect(await beta.run(['list', '--tenant', 'beta'])).toBe(0);
    expect(beta.out).toEqual(['no sessions in tenant beta']);
  });

  it('refuses bad usage before opening anything', async () => {
    const h = harness();
    await expect(h.run(['lst'])).rejects.toThrow(UsageError);
    await expect(h.run(['list', '--out', 'x'])).rejects.toThrow('sessions list: --out does not apply here');
    await expect(h.run(['list', '--limit', '0'])).rejects.toThrow(/--limit must be a whole number/);
    await expect(h.run(['list', '--thread', '4'])).rejects.toThrow('--thread needs --chat');
    await expect(h.run(['show'])).rejects.toThrow('sessions show: missing ID');
    await expect(h.run(['export', ID.a, '--format', 'pdf'])).rejects.toThrow(/--format must be jsonl or md/);
    await expect(h.run(['import', 'f.jsonl'])).rejects.toThrow('--chat is required');
    expect(h.closed).toBe(0);
  });
});

describe('omnicloud sessions show', () => {
  it('prints turns, cost, dates, history and the size of each stream', async () => {
    const h = harness();
    expect(await h.run(['show', ID.a])).toBe(0);
    const text = lines(h);
    expect(text).toMatch(/^session +aaaaaaaa-0000-4000-8000-000000000001$/m);
    expect(text).toMatch(/^conversation +-1001234 thread main \(its current session\)$/m);
    expect(text).toMatch(/^turns +3$/m);
    expect(text).toMatch(/^cost +\$0\.0369$/m);
    expect(text).toMatch(/^model +claude-sonnet-4-5$/m);
    expect(text).toMatch(/^history +available until 2026-12-27 08:59 UTC \(25 days\)$/m);
    expect(text).toMatch(/^main +2 entries, \d+ B, last written/m);
    expect(text).toMatch(/^subagents\/agent-x1 +2 entries, \d+ B/m);
    expect(text).toMatch(/^location +.*omnicloud\.sqlite/m);
  });

  it('--json carries the detail; an unknown id is session_not_found', async () => {
    const h = harness();
    await h.run(['show', ID.old, '--json']);
    const detail = JSON.parse(lines(h));
    expect(detail.session).toMatchObject({ sessionId: ID.old, history: 'expired' });
    expect(detail.main).toMatchObject({ entries: 2 });
    expect(detail.subagents).toEqual([]);
    const err = await harness()
      .run(['show', 'eeeeeeee-0000-4000-8000-000000000009'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversationError);
    expect((err as ConversationError).code).toBe('session_not_found');
  });
});

describe('omnicloud sessions export', () => {
  it('writes the transcript to stdout, progress on stderr', async () => {
    const h = harness();
    expect(await h.run(['export', ID.c])).toBe(0);
    expect(h.written.join('')).toBe(toJsonl(entries('short one')));
    expect(h.out).toEqual([]);
    expect(h.err[0]).toMatch(/^exporting session cccccccc/);
  });

  it('writes a file, refuses to overwrite it without --force, replaces it with --force', async () => {
    const file = join(dir, 'out.jsonl');
    expect(await harness().run(['export', ID.c, '--out', file])).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(toJsonl(entries('short one')));

    await writeFile(file, 'keep me');
    await expect(harness().run(['export', ID.c, '--out', file])).rejects.toThrow(
      `sessions export: ${file} exists; add --force to replace it`,
    );
    expect(await readFile(file, 'utf8')).toBe('keep me');
    expect(await harness().run(['export', ID.c, '--out', file, '--force'])).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(toJsonl(entries('short one')));
    // No temporary file is left behind.
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).sort()).toEqual(['data', 'out.jsonl']);
  });

  it('a folder that does not exist: one clear line, nothing written', async () => {
    const file = join(dir, 'missing', 'out.jsonl');
    await expect(harness().run(['export', ID.c, '--out', file])).rejects.toThrow(
      `sessions export: cannot write ${file}: ENOENT`,
    );
  });

  it('Markdown by --format or by a .md file name', async () => {
    const file = join(dir, 'session.md');
    expect(await harness().run(['export', ID.a, '--out', file])).toBe(0);
    expect(await readFile(file, 'utf8')).toContain(ID.a);
    const h = harness();
    await h.run(['export', ID.a, '--format', 'md']);
    expect(h.written.join('')).toMatch(/^# /);
  });
});

describe('omnicloud sessions delete', () => {
  const exists = async (id: typeof ID.a) => (await storage.sessions.get(acme, id)) !== null;

  it('without a terminal it needs --yes, and changes nothing without it', async () => {
    await expect(harness().run(['delete', ID.c])).rejects.toThrow(
      'sessions delete: not a terminal, nobody to ask; add --yes to go ahead',
    );
    expect(await exists(ID.c)).toBe(true);
    const h = harness();
    expect(await h.run(['delete', ID.c, '--yes'])).toBe(0);
    expect(h.out.at(-1)).toBe(`deleted session ${ID.c}`);
    expect(await exists(ID.c)).toBe(false);
    expect(await storage.transcripts.stat({ projectKey: 'acme', sessionId: ID.c })).toBeNull();
  });

  it('asks on a terminal: "n" (or the input ending) keeps it, "y" deletes it and its subagents', async () => {
    const no = harness({ interactive: true, answers: ['n'] });
    expect(await no.run(['delete', ID.a])).toBe(1);
    expect(no.asked).toEqual(['Delete its transcripts and catalog entry for good? [y/N] ']);
    expect(no.err).toEqual(['nothing deleted']);
    expect(await harness({ interactive: true, answers: [] }).run(['delete', ID.a])).toBe(1);
    expect(await exists(ID.a)).toBe(true);

    const yes = harness({ interactive: true, answers: ['y'] });
    expect(await yes.run(['delete', ID.a])).toBe(0);
    expect(yes.out.at(-1)).toBe(
      `deleted session ${ID.a} and 1 subagent transcript(s); the conversation starts afresh at its next message`,
    );
    expect(await exists(ID.a)).toBe(false);
    expect(await storage.conversations.get(key('-1001234'))).toMatchObject({ turns: 0 });
  });

  it('an unknown id is refused before anyone is asked', async () => {
    const h = harness({ interactive: true, answers: ['y'] });
    await expect(h.run(['delete', 'eeeeeeee-0000-4000-8000-000000000009'])).rejects.toThrow(/no session/);
    expect(h.asked).toEqual([]);
  });
});

describe('omnicloud sessions import', () => {
  const sid = 'abcdef01-2345-4678-9abc-def012345678';
  const transcript = [
    {
      type: 'user',
      sessionId: sid,
      uuid: 'u1',
      timestamp: '2026-11-01T10:00:00.000Z',
      message: { role: 'user', content: 'disk full on db-1?' },
    },
    {
      type: 'assistant',
      sessionId: sid,
      uuid: 'a1',
      timestamp: '2026-11-01T10:00:05.000Z',
      message: { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }] },
    },
    {
      type: 'user',
      sessionId: sid,
      uuid: 'u2',
      timestamp: '2026-11-01T10:01:00.000Z',
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'ok' }] },
    },
    {
      type: 'user',
      sessionId: sid,
      uuid: 'u3',
      timestamp: '2026-11-01T10:02:00.000Z',
      message: { role: 'user', content: [{ type: 'text', text: 'and db-2?' }] },
    },
  ];

  it('shows the plan, imports with --yes (negative chat id), progress on stderr, then lists it as current', async () => {
    const file = join(dir, `${sid}.jsonl`);
    await writeFile(file, transcript.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const h = harness();
    expect(await h.run(['import', file, '--chat', '-1009', '--thread', '5', '--yes'])).toBe(0);
    expect(h.out[0]).toMatch(
      new RegExp(
        `^session ${sid}: 4 entries, \\d+ B, 2 prompt\\(s\\), 2026-11-01 10:00 – 2026-11-01 10:02 UTC$`,
      ),
    );
    expect(h.out[1]).toBe('first prompt: disk full on db-1?');
    expect(h.out[2]).toBe(
      'into: tenant acme, conversation -1009/5 (it will continue this session at its next message)',
    );
    expect(h.out.at(-1)).toMatch(
      new RegExp(`^imported session ${sid} into acme/-1009/5: 4 entries; history kept until`),
    );
    expect(h.err).toEqual(['imported 4/4 entries']);

    const list = harness();
    await list.run(['list', '--chat', '-1009', '--json']);
    expect(JSON.parse(lines(list))).toEqual([
      expect.objectContaining({ sessionId: sid, origin: 'import', turns: 2, current: true, costUsd: 0 }),
    ]);
  });

  it('without --yes off a terminal, or declined, nothing is imported', async () => {
    const file = join(dir, `${sid}.jsonl`);
    await writeFile(file, transcript.map((e) => JSON.stringify(e)).join('\n'));
    await expect(harness().run(['import', file, '--chat', '9'])).rejects.toThrow(/add --yes/);
    expect(await harness({ interactive: true, answers: ['no'] }).run(['import', file, '--chat', '9'])).toBe(
      1,
    );
    expect(await storage.sessions.get(acme, parseSessionId(sid))).toBeNull();
    expect(await storage.transcripts.stat({ projectKey: 'acme', sessionId: sid })).toBeNull();
  });

  it('a bad file is refused with the line, before the question', async () => {
    const file = join(dir, `${sid}.jsonl`);
    await writeFile(file, `${JSON.stringify(transcript[0])}\nnot json\n`);
    const h = harness({ interactive: true, answers: ['y'] });
    await expect(h.run(['import', file, '--chat', '9'])).rejects.toThrow(/line 2 is not valid JSON/);
    expect(h.asked).toEqual([]);
  });
});
