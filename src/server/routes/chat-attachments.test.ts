import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner, type FakeRunner } from '../../../test/deploy/fake-runner.js';
import type { TurnRequest, TurnResult } from '../../agent/types.js';
import { parseRequestId, parseSessionId, type TenantId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { silentLogger } from '../../core/logger.js';
import { conversationFilesDir, workspacePath } from '../../files/paths.js';
import { DEFAULT_FILE_POLICY, type FilePolicy, type SentFile } from '../../files/types.js';
import { createSqliteStorage, type SqliteStorage } from '../../sessions/adapters/sqlite/index.js';
import { createApiApp } from '../app.js';
import { createTokenAuth } from '../auth.js';
import type { ApiTurnResult } from '../files-json.js';

/**
 * `POST /v1/chat` with files: SQLite storage (its local file store, checked on disk), the request
 * through `app.request`, and a recording runner with the real runner's `filesDir` layout.
 */
const TOKEN = 'attach-token-7c1e9a3b5d7f9b1d3f5a7c9e1b3d5f7a';
const headers = { authorization: `Bearer ${TOKEN}` };
/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const LOG = Buffer.from('2026-12-02T00:00:00Z ERROR disk full on /var\n');

let dir: string;
let storage: SqliteStorage;
let runner: FakeRunner & {
  filesDir(key: ConversationKey): Promise<string>;
  answered(key: ConversationKey, requestId: string): Promise<boolean>;
};
let sent: (req: TurnRequest) => SentFile[];

const workspace = (): string => join(dir, 'workspace');
const filesRoot = (): string => join(dir, 'files');
const KEY = conversationKey({ tenant: 'acme', chat: 'ops', thread: 'main' });

function app(options: { policy?: FilePolicy; maxChatBodyBytes?: number } = {}) {
  return createApiApp({
    runner,
    storage,
    logger: silentLogger,
    auth: createTokenAuth([{ token: TOKEN, tenants: ['acme' as TenantId] }]),
    filePolicy: () => options.policy ?? DEFAULT_FILE_POLICY,
    maxChatBodyBytes: options.maxChatBodyBytes,
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-attach-'));
  storage = createSqliteStorage({ dataDir: dir });
  sent = () => [];
  const fake = createFakeRunner((req) => {
    const files = sent(req);
    return files.length > 0 ? { files } : {};
  });
  runner = Object.assign(fake, {
    filesDir: async (key: ConversationKey) => conversationFilesDir(workspace(), key),
    // What the real runner answers: the turn ledger's record is `done`.
    answered: async (key: ConversationKey, requestId: string) =>
      (await storage.turns.get(key, parseRequestId(requestId)))?.state === 'done',
  });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function form(fields: Record<string, string>, files: Array<{ name: string; bytes: Buffer }>): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  for (const f of files) body.append('file', new Blob([f.bytes]), f.name);
  return body;
}
const postForm = (a: ReturnType<typeof app>, body: FormData) =>
  a.request('/v1/chat', { method: 'POST', headers, body });
const postJson = (a: ReturnType<typeof app>, body: unknown) =>
  a.request('/v1/chat', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; issues?: Array<{ path: string }> } })
    .error;

/** Every file under a directory, relative to it. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  try {
    walk(root);
  } catch {
    return out;
  }
  return out.sort();
}

describe('POST /v1/chat with files', () => {
  it('multipart: the files are stored (durably and in the workspace) before the turn, which gets them in order', async () => {
    const res = await postForm(
      app(),
      form({ user_message: 'what is wrong?', chat_id: 'ops', tenant: 'acme' }, [
        { name: 'dashboard.png', bytes: PNG },
        { name: 'app.log', bytes: LOG },
      ]),
    );
    expect(res.status).toBe(200);
    const call = runner.calls[0];
    expect(call?.text).toBe('what is wrong?');
    expect(call?.attachments?.map((f) => [f.name, f.kind, f.mime, f.size, f.direction])).toEqual([
      ['dashboard.png', 'image', 'image/png', PNG.length, 'in'],
      ['app.log', 'text', 'text/plain', LOG.length, 'in'],
    ]);
    const [png, log] = call?.attachments ?? [];
    // Where the agent is told they are, byte for byte.
    expect(readFileSync(workspacePath(conversationFilesDir(workspace(), KEY), png!))).toEqual(PNG);
    expect(readFileSync(workspacePath(conversationFilesDir(workspace(), KEY), log!))).toEqual(LOG);
    // The durable store: through the interface and on disk under the tenant's folder.
    expect((await storage.files.list(KEY)).map((f) => f.id)).toEqual([png!.id, log!.id]);
    expect(filesUnder(filesRoot())).toEqual(
      [
        `acme/ops/main/${png!.id}/in-image-${png!.createdAt}/dashboard.png`,
        `acme/ops/main/${log!.id}/in-text-${log!.createdAt}/app.log`,
      ].sort(),
    );
  });

  it('multipart fields are typed like JSON (stream, message_time) and a streamed answer lists the sent files with download paths', async () => {
    sent = (req) => [
      {
        id: 'fAAAAAAAAAAAAAAA' as SentFile['id'],
        key: req.key,
        direction: 'out',
        name: 'report.csv',
        size: 12,
        mime: 'text/csv',
        kind: 'text',
        createdAt: 0,
        caption: 'the numbers',
      },
    ];
    const res = await postForm(
      app(),
      form(
        {
          user_message: 'report please',
          chat_id: 'ops',
          tenant: 'acme',
          stream: 'true',
          message_time: '1764633600',
        },
        [{ name: 'in.png', bytes: PNG }],
      ),
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const result = JSON.parse(/event: result\ndata: (.*)\n/.exec(text)?.[1] ?? '{}') as ApiTurnResult;
    expect(result.files).toEqual([
      {
        id: 'fAAAAAAAAAAAAAAA',
        name: 'report.csv',
        size: 12,
        mime: 'text/csv',
        kind: 'text',
        caption: 'the numbers',
        download: '/v1/conversations/acme/ops/main/files/fAAAAAAAAAAAAAAA',
      },
    ]);
    expect(runner.calls[0]?.messageTime?.toISOString()).toBe('2025-12-02T00:00:00.000Z');
    expect(runner.calls[0]?.attachments).toHaveLength(1);
    expect(runner.calls[0]?.onEvent).toBeTypeOf('function');
  });

  it('JSON: base64 attachments; the mime a client claims is ignored (recognised by content)', async () => {
    const res = await postJson(app(), {
      user_message: 'see attached',
      chat_id: 'ops',
      tenant: 'acme',
      attachments: [{ name: 'screenshot', data: PNG.toString('base64'), mime: 'text/html' }],
    });
    expect(res.status).toBe(200);
    const [file] = runner.calls[0]?.attachments ?? [];
    expect(file).toMatchObject({
      name: 'screenshot.png',
      kind: 'image',
      mime: 'image/png',
      size: PNG.length,
    });
    const opened = await storage.files.open(KEY, file!.id);
    expect(Buffer.concat(await opened!.body.toArray())).toEqual(PNG);
    // The plain result has no `files` when the agent sent none.
    expect((await res.json()) as TurnResult).not.toHaveProperty('files');
  });

  it('a hostile name is stored sanitised inside the tenant’s namespace and the conversation’s folder', async () => {
    const res = await postJson(app(), {
      user_message: 'x',
      chat_id: 'ops',
      tenant: 'acme',
      attachments: [
        { name: '../../x', data: LOG.toString('base64') },
        { name: '/etc/\u202Eexe.txt', data: LOG.toString('base64') },
      ],
    });
    expect(res.status).toBe(200);
    const names = runner.calls[0]?.attachments?.map((f) => f.name);
    expect(names).toEqual(['x.txt', 'exe.txt']);
    const everything = filesUnder(dir).filter((p) => !p.startsWith('omnicloud.sqlite'));
    expect(
      everything.every(
        (p) => p.startsWith('files/acme/ops/main/') || p.startsWith('workspace/files/ops/main/'),
      ),
    ).toBe(true);
    expect(everything.filter((p) => p.startsWith('files/'))).toHaveLength(2);
  });
});

describe('POST /v1/chat refuses files with a clear answer, storing nothing and running no turn', () => {
  const nothingHappened = async () => {
    expect(runner.calls).toHaveLength(0);
    expect(await storage.files.list(KEY)).toEqual([]);
    expect(filesUnder(filesRoot())).toEqual([]);
    expect(filesUnder(workspace())).toEqual([]);
  };
  const message = { user_message: 'x', chat_id: 'ops', tenant: 'acme' };

  it('bad base64 → 400 naming the field', async () => {
    const res = await postJson(app(), {
      ...message,
      attachments: [
        { name: 'a.txt', data: 'aGVsbG8=' },
        { name: 'b.txt', data: 'not base64!' },
      ],
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_request');
    expect(error.issues?.map((i) => i.path)).toEqual(['attachments.1.data']);
    await nothingHappened();
  });

  it('a missing or empty name → 400 naming the field (JSON and multipart)', async () => {
    const json = await postJson(app(), {
      ...message,
      attachments: [{ data: 'aGVsbG8=' }, { name: '', data: 'aGVsbG8=' }],
    });
    expect(json.status).toBe(400);
    expect((await errorOf(json)).issues?.map((i) => i.path)).toEqual([
      'attachments.0.name',
      'attachments.1.name',
    ]);
    const body = form(message, []);
    body.append('file', 'just text, no filename');
    const multipart = await postForm(app(), body);
    expect(multipart.status).toBe(400);
    expect((await errorOf(multipart)).issues?.map((i) => i.path)).toEqual(['file']);
    await nothingHappened();
  });

  it('a name of 1025 characters → 400 naming the field in both forms; 1024 is stored (sanitised) in both', async () => {
    const long = `${'n'.repeat(1020)}.txt`;
    const over = `${'n'.repeat(1021)}.txt`;
    const json = await postJson(app(), {
      ...message,
      attachments: [{ name: over, data: LOG.toString('base64') }],
    });
    expect(json.status).toBe(400);
    expect((await errorOf(json)).issues?.map((i) => i.path)).toEqual(['attachments.0.name']);
    const multipart = await postForm(app(), form(message, [{ name: over, bytes: LOG }]));
    expect(multipart.status).toBe(400);
    expect((await errorOf(multipart)).issues?.map((i) => i.path)).toEqual(['file']);
    await nothingHappened();
    expect((await postForm(app(), form(message, [{ name: long, bytes: LOG }]))).status).toBe(200);
    const okJson = await postJson(app(), {
      ...message,
      attachments: [{ name: long, data: LOG.toString('base64') }],
    });
    expect(okJson.status).toBe(200);
  });

  it('11 files → 400 (JSON and multipart)', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, bytes: LOG }));
    const json = await postJson(app(), {
      ...message,
      attachments: eleven.map((f) => ({ name: f.name, data: f.bytes.toString('base64') })),
    });
    expect(json.status).toBe(400);
    expect((await errorOf(json)).issues?.map((i) => i.path)).toEqual(['attachments']);
    const multipart = await postForm(app(), form(message, eleven));
    expect(multipart.status).toBe(400);
    const error = await errorOf(multipart);
    expect(error.issues?.map((i) => i.path)).toEqual(['file']);
    await nothingHappened();
  });

  it('a file over the tenant’s cap → 413, even when it is the second one', async () => {
    const policy = { ...DEFAULT_FILE_POLICY, maxBytes: 1024 };
    const res = await postForm(
      app({ policy }),
      form(message, [
        { name: 'small.log', bytes: LOG },
        { name: 'big.log', bytes: Buffer.alloc(2048, 'a') },
      ]),
    );
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({
      code: 'file_too_large',
      message: 'big.log is larger than 1.0 KB, the most this bot accepts',
    });
    const json = await postJson(app({ policy }), {
      ...message,
      attachments: [{ name: 'big.log', data: Buffer.alloc(2048, 'a').toString('base64') }],
    });
    expect(json.status).toBe(413);
    await nothingHappened();
  });

  it('a kind the tenant does not accept → 415 with the reason; an empty file → 400', async () => {
    const policy: FilePolicy = { ...DEFAULT_FILE_POLICY, allow: ['text', 'pdf'] };
    const res = await postForm(
      app({ policy }),
      form(message, [
        { name: 'ok.log', bytes: LOG },
        { name: 'notes.txt', bytes: PNG },
      ]),
    );
    expect(res.status).toBe(415);
    expect(await errorOf(res)).toEqual({
      code: 'file_type_not_allowed',
      message: 'notes.txt is an image; this bot accepts a text file, a PDF',
    });
    const empty = await postForm(app(), form(message, [{ name: 'empty.log', bytes: Buffer.alloc(0) }]));
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).code).toBe('file_empty');
    await nothingHappened();
  });

  it('a body over the chat limit → 413 before it is read: declared length, and a chunked body cut off as it passes the limit', async () => {
    const a = app({ maxChatBodyBytes: 64 * 1024 });
    const declared = await postForm(
      a,
      form(message, [{ name: 'big.log', bytes: Buffer.alloc(100 * 1024, 'a') }]),
    );
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe('payload_too_large');

    let pulled = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          pulled += 16 * 1024;
          yield Buffer.alloc(16 * 1024, 'a');
        }
      })(),
    );
    const chunked = await a.request('/v1/chat', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: Readable.toWeb(endless) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(64 * 1024 + 3 * 16 * 1024);
    await nothingHappened();
  });

  it('a files request for a tenant outside the token’s scope → 403 before anything is stored', async () => {
    const res = await postForm(app(), form({ ...message, tenant: 'other' }, [{ name: 'a.log', bytes: LOG }]));
    expect(res.status).toBe(403);
    expect(filesUnder(dir).filter((p) => !p.startsWith('omnicloud.sqlite'))).toEqual([]);
  });
});

describe('POST /v1/chat with files and a request_id', () => {
  it('a retry of a recorded turn stores nothing again; a retry of an unrecorded one stores the files for the turn', async () => {
    const body = {
      user_message: 'x',
      chat_id: 'ops',
      tenant: 'acme',
      request_id: 'r-1',
      attachments: [{ name: 'a.log', data: LOG.toString('base64') }],
    };
    expect((await postJson(app(), body)).status).toBe(200);
    expect(await storage.files.list(KEY)).toHaveLength(1);
    // The ledger as the runner leaves it (under the lease): begun, then done. (The real runner
    // does this itself: test/e2e/attachments-api.test.ts.)
    const requestId = parseRequestId('api:r-1');
    const sessionId = parseSessionId('6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab');
    const first = await storage.turns.begin(KEY, requestId, { sessionId, entriesBefore: 0, turnsBefore: 0 });
    expect(first.state).toBe('started');
    // Outcome unknown (`started`): the turn may run again and must find its files.
    expect((await postJson(app(), body)).status).toBe(200);
    expect(await storage.files.list(KEY)).toHaveLength(2);
    expect(runner.calls[1]?.attachments).toHaveLength(1);
    await storage.turns.complete(KEY, requestId, '{}');
    expect((await postJson(app(), body)).status).toBe(200);
    expect(await storage.files.list(KEY)).toHaveLength(2);
    expect(runner.calls[2]?.requestId).toBe('api:r-1');
    expect(runner.calls[2]?.attachments).toBeUndefined();
  });
});
