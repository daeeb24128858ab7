import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCloudWorlds } from '../../test/support/cloud-world.js';
import { parseEnv } from '../config/env.js';
import { ConversationError } from '../conversations/errors.js';
import type { TenantId } from '../core/ids.js';
import { runSessions, type SessionsIO } from './sessions.js';
import { sessionsCommandFor } from './sessions-deps.js';

/**
 * `omnicloud sessions` with `OMNICLOUD_STORAGE=cloud` against the real peers (fauxqs S3 +
 * DynamoDB Local), built the way the binary builds it (`sessionsCommandFor` from the environment),
 * every write checked in the raw bucket and table.
 */

const { peers, world } = useCloudWorlds();
const sid = '0f0e0d0c-0b0a-4908-8706-050403020100';
const tenant = 'ops' as TenantId;
let dir: string;
let file: string;

const main = [
  {
    type: 'user',
    sessionId: sid,
    uuid: 'u1',
    timestamp: '2026-11-30T08:00:00.000Z',
    message: { role: 'user', content: 'why is the queue backing up?' },
  },
  {
    type: 'assistant',
    sessionId: sid,
    uuid: 'a1',
    timestamp: '2026-11-30T08:00:09.000Z',
    message: { role: 'assistant', content: [{ type: 'text', text: 'Looking at consumers.' }] },
  },
];
const sub = [
  {
    type: 'user',
    sessionId: sid,
    uuid: 's1',
    isSidechain: true,
    message: { role: 'user', content: 'count consumers' },
  },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-sessions-cloud-'));
  file = join(dir, `${sid}.jsonl`);
  await writeFile(file, main.map((e) => JSON.stringify(e)).join('\n'));
  await mkdir(join(dir, sid, 'subagents'), { recursive: true });
  await writeFile(join(dir, sid, 'subagents', 'agent-q.jsonl'), JSON.stringify(sub[0]));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('omnicloud sessions on cloud storage (fauxqs + DynamoDB Local)', () => {
  it('imports, lists, shows, exports and deletes; the bucket and table say the same', async () => {
    const w = await world();
    const rawEnv = {
      ...peers().awsEnv(),
      OMNICLOUD_STORAGE: 'cloud',
      SESSION_BUCKET: w.bucket,
      SESSION_TABLE: w.table,
      OMNICLOUD_TENANT: tenant,
    };
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const written: string[] = [];
      const io: SessionsIO = {
        out: (l) => out.push(l),
        err: () => {},
        write: (s) => written.push(s),
        columns: 200,
        interactive: false,
        ask: async () => null,
      };
      const code = await runSessions(argv, io, () => sessionsCommandFor(parseEnv(rawEnv), rawEnv));
      return { code, out, written };
    };

    expect((await run(['import', file, '--chat', '-1005', '--yes'])).code).toBe(0);
    const keys = await w.raw.listTenantKeys(tenant);
    // Small transcripts live inline in their DynamoDB head item (larger ones in S3 chunks), in the
    // session's partition; the session and the conversation are listed by markers on the tenant's.
    expect(keys).toEqual(
      expect.arrayContaining([
        `dynamodb:${tenant}#s#${sid}/head#${tenant}#${sid}#`,
        `dynamodb:${tenant}#s#${sid}/head#${tenant}#${sid}#subagents/agent-q`,
        `dynamodb:${tenant}/head#${tenant}#${sid}#`,
        `dynamodb:${tenant}/sess#${tenant}:-1005:main#${sid}`,
        `dynamodb:${tenant}#c#-1005:main/conv#${tenant}:-1005:main`,
        `dynamodb:${tenant}/conv#${tenant}:-1005:main`,
      ]),
    );
    expect(await w.raw.readEntries({ projectKey: tenant, sessionId: sid })).toEqual(main);

    const list = await run(['list', '--json']);
    expect(JSON.parse(list.out.join('\n'))).toEqual([
      expect.objectContaining({ sessionId: sid, origin: 'import', turns: 1, current: true }),
    ]);
    const show = await run(['show', sid]);
    expect(show.out.join('\n')).toMatch(
      new RegExp(
        `^location +dynamodb://${w.table}/${tenant}#s#${sid}/head#${tenant}#${sid}# \\+ s3://${w.bucket}/`,
        'm',
      ),
    );
    expect(show.out.join('\n')).toMatch(/^subagents\/agent-q +1 entry,/m);

    const exported = await run(['export', sid]);
    expect(
      exported.written
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(main);

    const again = await run(['import', file, '--chat', '77', '--yes']).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConversationError);
    expect((again as ConversationError).code).toBe('session_exists');

    expect((await run(['delete', sid, '--yes'])).code).toBe(0);
    const left = await w.raw.listTenantKeys(tenant);
    expect(left.filter((k) => k.includes(sid))).toEqual([]);
    expect((await run(['list'])).out).toEqual([`no sessions in tenant ${tenant}`]);
  }, 60_000);
});
