import { readFile, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnResult } from '../../src/agent/types.js';
import { runChat, type ChatIO } from '../../src/cli/chat.js';
import type { TenantId } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import type { RecordedRequest } from '../../src/model/index.js';
import {
  createApiApp,
  createTokenAuth,
  type ApiListedFile,
  type ApiTurnResult,
} from '../../src/server/index.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/**
 * Files into a turn through the API and the terminal chat, end to end: the real runner, SDK binary
 * and offline demo model, SQLite storage (its local file store).
 */
const TOKEN = 'e2e-attachments-token-3f5a7c9e1b3d5f7a9c1e3b5d';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

let h: AgentHarness;
let api: ReturnType<typeof createApiApp>;

beforeAll(async () => {
  h = await startAgentHarness();
  api = createApiApp({
    runner: h.runner,
    storage: h.storage,
    logger: silentLogger,
    auth: createTokenAuth([{ token: TOKEN, tenants: ['default' as TenantId], label: 'e2e' }]),
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const headers = { authorization: `Bearer ${TOKEN}` };

/** Image blocks of the user messages the binary sent to the model since request `from`. */
function imageBlocks(from: number): unknown[] {
  const blocks: unknown[] = [];
  for (const req of h.model.requests.slice(from) as RecordedRequest[]) {
    for (const message of req.body.messages ?? []) {
      if (message.role !== 'user' || typeof message.content === 'string') continue;
      for (const block of message.content as Array<{ type: string }>)
        if (block.type === 'image') blocks.push(block);
    }
  }
  return blocks;
}

describe('files through the API (real binary, offline model)', () => {
  it('a multipart PNG is stored and reaches the model as an image block; a retry with the request_id stores nothing again', async () => {
    const key = conversationKey({ tenant: 'default', chat: 'files', thread: 'main' });
    const from = h.model.requests.length;
    const send = () => {
      const body = new FormData();
      body.append('user_message', 'what do you see?');
      body.append('chat_id', 'files');
      body.append('request_id', 'shot-1');
      body.append('file', new Blob([PNG]), 'dashboard.png');
      return api.request('/v1/chat', { method: 'POST', headers, body });
    };
    const res = await send();
    expect(res.status).toBe(200);
    const result = (await res.json()) as TurnResult;
    expect(result.is_error).toBe(false);
    const stored = await h.storage.files.list(key);
    expect(stored.map((f) => [f.name, f.kind, f.direction])).toEqual([['dashboard.png', 'image', 'in']]);
    expect(imageBlocks(from)).toContainEqual(
      expect.objectContaining({
        type: 'image',
        source: expect.objectContaining({
          type: 'base64',
          media_type: 'image/png',
          data: PNG.toString('base64'),
        }),
      }),
    );

    const retry = (await (await send()).json()) as TurnResult;
    expect(retry.replayed).toBe('done');
    expect(retry.session_id).toBe(result.session_id);
    expect(await h.storage.files.list(key)).toHaveLength(1);

    const listed = await api.request('/v1/conversations/default/files/main/files', { headers });
    const { files } = (await listed.json()) as { files: Array<{ id: string; download: string }> };
    const download = await api.request(files[0]!.download, { headers });
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PNG);
  }, 120_000);
});

describe('files back from the agent through the API (real binary, offline model)', () => {
  it('a file sent in, sent back by the agent (send_file): listed in the streamed result with a download path that serves its bytes', async () => {
    const csv = 'host,cpu\nweb-1,97\n';
    const body = new FormData();
    body.append('user_message', 'keep this');
    body.append('chat_id', 'round-trip');
    body.append('file', new Blob([csv]), 'report.csv');
    expect((await api.request('/v1/chat', { method: 'POST', headers, body })).status).toBe(200);
    const listed = await api.request('/v1/conversations/default/round-trip/main/files', { headers });
    const [received] = ((await listed.json()) as { files: ApiListedFile[] }).files;
    expect(received).toMatchObject({ name: 'report.csv', direction: 'in' });

    const send = `call tool mcp__omnicloud__send_file ${JSON.stringify({ path: `${received!.id}/report.csv`, caption: 'CPU report' })}`;
    const res = await api.request('/v1/chat', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ user_message: send, chat_id: 'round-trip', stream: true }),
    });
    const events = await res.text();
    const result = JSON.parse(/event: result\ndata: (.*)\n/.exec(events)?.[1] ?? '{}') as ApiTurnResult;
    expect(result.is_error, result.error_message ?? '').toBe(false);
    expect(result.files).toHaveLength(1);
    const sent = result.files![0]!;
    expect(sent).toEqual({
      id: expect.stringMatching(/^f/),
      name: 'report.csv',
      size: csv.length,
      mime: 'text/csv',
      kind: 'text',
      caption: 'CPU report',
      download: `/v1/conversations/default/round-trip/main/files/${sent.id}`,
    });
    const download = await api.request(sent.download, { headers });
    expect(download.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await download.text()).toBe(csv);
    const all = await api.request('/v1/conversations/default/round-trip/main/files', { headers });
    expect(((await all.json()) as { files: ApiListedFile[] }).files.map((f) => f.direction)).toEqual([
      'in',
      'out',
    ]);
  }, 120_000);
});

describe('files in the terminal chat (real binary, offline model)', () => {
  it('chat -m --file sends the file with the message', async () => {
    const path = join(h.dir, 'chart.png');
    await writeFile(path, PNG);
    const stdout: string[] = [];
    const io: ChatIO = {
      input: new PassThrough(),
      out: (s) => stdout.push(`${s}\n`),
      err: () => {},
      write: () => {},
      writeErr: () => {},
      interactive: false,
      interrupts: () => () => {},
    };
    const from = h.model.requests.length;
    const exit = await runChat(
      ['-m', 'look at this', '--file', path, '--chat', 'cli-files', '--json'],
      io,
      async () => ({
        runner: h.runner,
        storage: h.storage,
        provider: { kind: 'offline', baseUrl: h.model.url },
        warm: { describe: () => null },
        close: async () => {},
      }),
    );
    expect(exit).toBe(0);
    expect((JSON.parse(stdout.join('')) as TurnResult).is_error).toBe(false);
    const key = conversationKey({ tenant: 'default', chat: 'cli-files' });
    expect((await h.storage.files.list(key)).map((f) => f.name)).toEqual(['chart.png']);
    expect(imageBlocks(from)).toHaveLength(1);
  }, 120_000);

  it('files the agent sends are printed with their path on this machine', async () => {
    const stderr: string[] = [];
    const io: ChatIO = {
      input: new PassThrough(),
      out: () => {},
      err: (s) => stderr.push(`${s}\n`),
      write: () => {},
      writeErr: (s) => stderr.push(s),
      interactive: false,
      interrupts: () => () => {},
    };
    const notes = join(h.dir, 'notes.md');
    await writeFile(notes, '# notes\n');
    const deps = async () => ({
      runner: h.runner,
      storage: h.storage,
      provider: { kind: 'offline' as const, baseUrl: h.model.url },
      warm: { describe: () => null },
      close: async () => {},
    });
    expect(await runChat(['-m', 'keep', '--file', notes, '--chat', 'cli-sent'], io, deps)).toBe(0);
    const key = conversationKey({ tenant: 'default', chat: 'cli-sent' });
    const [received] = await h.storage.files.list(key);
    const send = `call tool mcp__omnicloud__send_file ${JSON.stringify({ path: `${received!.id}/notes.md` })}`;
    expect(await runChat(['-m', send, '--chat', 'cli-sent'], io, deps)).toBe(0);
    const line = /📎 sent notes\.md \(8 B\): (.*)\n/.exec(stderr.join(''));
    expect(line).not.toBeNull();
    expect(await readFile(line![1]!, 'utf8')).toBe('# notes\n');
  }, 120_000);
});
