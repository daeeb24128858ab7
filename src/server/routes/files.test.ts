import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner } from '../../../test/deploy/fake-runner.js';
import type { TenantId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { silentLogger } from '../../core/logger.js';
import { ingestFile } from '../../files/ingest.js';
import { conversationFilesDir } from '../../files/paths.js';
import {
  DEFAULT_FILE_POLICY,
  type FileDirection,
  type FileStore,
  type StoredFile,
} from '../../files/types.js';
import { createSqliteStorage, type SqliteStorage } from '../../sessions/adapters/sqlite/index.js';
import type { Storage } from '../../sessions/types.js';
import { createApiApp } from '../app.js';
import { createTokenAuth } from '../auth.js';
import type { ApiListedFile } from '../files-json.js';

/** `GET /v1/conversations/:tenant/:chat/:thread/files[/:id]` over SQLite storage's local file store. */
const ACME = 'files-acme-token-1a3c5e7a9c1e3a5c7e9a1c3e5a7c9e1a';
const BETA = 'files-beta-token-2b4d6f8b0d2f4b6d8f0b2d4f6b8d0f2b';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const A = conversationKey({ tenant: 'acme', chat: 'ops', thread: 'main' });

let dir: string;
let storage: SqliteStorage;

const app = (files?: FileStore) =>
  createApiApp({
    runner: createFakeRunner(),
    storage: files ? ({ ...storage, files } as Storage) : storage,
    logger: silentLogger,
    auth: createTokenAuth([
      { token: ACME, tenants: ['acme' as TenantId], label: 'acme' },
      { token: BETA, tenants: ['beta' as TenantId], label: 'beta' },
    ]),
  });
const get = (path: string, token = ACME, files?: FileStore) =>
  app(files).request(path, { headers: { authorization: `Bearer ${token}` } });

async function put(
  key: ConversationKey,
  name: string,
  bytes: Buffer,
  direction: FileDirection = 'in',
): Promise<StoredFile> {
  const { file } = await ingestFile(storage.files, {
    key,
    direction,
    name,
    body: Readable.from([bytes]),
    policy: DEFAULT_FILE_POLICY,
    dir: conversationFilesDir(join(dir, 'workspace'), key),
  });
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-files-api-'));
  storage = createSqliteStorage({ dataDir: dir });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET …/files', () => {
  it('lists the conversation’s files in and out, oldest first, with download paths', async () => {
    const shot = await put(A, 'shot.png', PNG);
    const report = await put(A, 'report.csv', Buffer.from('a,b\n1,2\n'), 'out');
    await put(
      conversationKey({ tenant: 'acme', chat: 'other', thread: 'main' }),
      'elsewhere.log',
      Buffer.from('x\n'),
    );
    const res = await get('/v1/conversations/acme/ops/main/files');
    expect(res.status).toBe(200);
    const { files } = (await res.json()) as { files: ApiListedFile[] };
    expect(files.map((f) => [f.id, f.name, f.direction, f.kind, f.mime, f.size, f.download])).toEqual([
      [
        shot.id,
        'shot.png',
        'in',
        'image',
        'image/png',
        PNG.length,
        `/v1/conversations/acme/ops/main/files/${shot.id}`,
      ],
      [
        report.id,
        'report.csv',
        'out',
        'text',
        'text/csv',
        8,
        `/v1/conversations/acme/ops/main/files/${report.id}`,
      ],
    ]);
    expect(files.every((f) => !Number.isNaN(Date.parse(f.created_at)))).toBe(true);
    const none = await get('/v1/conversations/acme/quiet/main/files');
    expect(await none.json()).toEqual({ files: [] });
  });
});

describe('GET …/files/:id', () => {
  it('streams the exact bytes with attachment headers', async () => {
    const bytes = randomBytes(300 * 1024);
    const file = await put(A, 'dump.bin', bytes);
    const res = await get(`/v1/conversations/acme/ops/main/files/${file.id}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      'content-disposition': `attachment; filename="dump.bin"; filename*=UTF-8''dump.bin`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    });
  });

  it('never serves HTML or SVG as such: text is text/plain (or a plain data type) with a charset; images as stored', async () => {
    const page = await put(A, 'page.html', Buffer.from('<script>alert(1)</script>\n'));
    const svg = await put(
      A,
      'logo.svg',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>\n'),
    );
    const json = await put(A, 'data.json', Buffer.from('{"a":1}\n'));
    const png = await put(A, 'shot.png', PNG);
    const typeOf = async (f: StoredFile) =>
      (await get(`/v1/conversations/acme/ops/main/files/${f.id}`)).headers.get('content-type');
    // The store never records a type a browser runs; the route would refuse to serve one anyway.
    expect(page.mime).toBe('text/plain');
    expect(await typeOf(page)).toBe('text/plain; charset=utf-8');
    expect(await typeOf(svg)).toBe('text/plain; charset=utf-8');
    expect(await typeOf(json)).toBe('application/json; charset=utf-8');
    expect(await typeOf(png)).toBe('image/png');
  });

  it('encodes the name per RFC 6266 / 8187 (ASCII fallback and UTF-8 filename*)', async () => {
    const file = await put(A, 'отчёт "Q1" (final).csv', Buffer.from('a\n'));
    const res = await get(`/v1/conversations/acme/ops/main/files/${file.id}`);
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(file.name).toBe('отчёт _Q1_ (final).csv');
    expect(disposition).toBe(
      `attachment; filename="_____ _Q1_ (final).csv"; filename*=UTF-8''${encodeURIComponent(file.name).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
    );
    const star = /filename\*=UTF-8''(.*)$/.exec(disposition)?.[1] ?? '';
    expect(decodeURIComponent(star)).toBe(file.name);
  });

  it('streams from the store without waiting for the whole file', async () => {
    const file = await put(A, 'big.log', Buffer.from('first\n'));
    const body = new PassThrough();
    const held: FileStore = {
      ...storage.files,
      open: async (key, id) => {
        const opened = await storage.files.open(key, id);
        return opened ? { file: { ...opened.file, size: 12 }, body } : undefined;
      },
    };
    body.write('first\n');
    const res = await get(`/v1/conversations/acme/ops/main/files/${file.id}`, ACME, held);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // The first chunk arrives while the store's stream is still open.
    expect(Buffer.from((await reader.read()).value ?? []).toString()).toBe('first\n');
    body.end('second\n');
    expect(Buffer.from((await reader.read()).value ?? []).toString()).toBe('second\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('unknown id → 404; malformed id → 400; an id of another conversation → 404', async () => {
    const elsewhere = await put(
      conversationKey({ tenant: 'acme', chat: 'other', thread: 'main' }),
      'a.log',
      Buffer.from('x\n'),
    );
    const unknown = await get('/v1/conversations/acme/ops/main/files/fAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('file_not_found');
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', 'x', 'f' + 'A'.repeat(40), 'a%00b']) {
      const res = await get(`/v1/conversations/acme/ops/main/files/${bad}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_id');
    }
    expect((await get(`/v1/conversations/acme/ops/main/files/${elsewhere.id}`)).status).toBe(404);
  });
});

describe('files and tenants', () => {
  it('tenant B’s token can neither list nor download tenant A’s files, and is told nothing about them', async () => {
    const secret = await put(A, 'secret.log', Buffer.from('password=hunter2\n'));
    const listed = await get('/v1/conversations/acme/ops/main/files', BETA);
    expect(listed.status).toBe(403);
    const downloaded = await get(`/v1/conversations/acme/ops/main/files/${secret.id}`, BETA);
    expect(downloaded.status).toBe(403);
    const unknown = await get('/v1/conversations/acme/ops/main/files/fAAAAAAAAAAAAAAA', BETA);
    // Same answer for an existing and a made-up id: nothing to learn by probing.
    expect(await downloaded.json()).toEqual(await unknown.json());
    expect(
      JSON.stringify(await (await get('/v1/conversations/acme/ops/main/files', BETA)).json()),
    ).not.toContain(secret.id);
    // B's own conversation with the same chat and thread ids is another namespace.
    const own = await get('/v1/conversations/beta/ops/main/files', BETA);
    expect(await own.json()).toEqual({ files: [] });
    expect((await get(`/v1/conversations/beta/ops/main/files/${secret.id}`, BETA)).status).toBe(404);
  });
});
