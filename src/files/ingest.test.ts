import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLES } from '../../test/support/file-samples.js';
import { ManualClock } from '../core/clock.js';
import { conversationKey } from '../core/keys.js';
import { drain } from './conformance/fixtures.js';
import { FileRefusedError } from './errors.js';
import { ingestFile, type IngestInput } from './ingest.js';
import { createLocalFileStore } from './local.js';
import { createMemoryFileStore } from './memory.js';
import { DEFAULT_FILE_POLICY, type FileStore } from './types.js';

const key = conversationKey({ tenant: 'acme', chat: '-100123', thread: 'main' });
const MB = 1024 * 1024;

let root = '';
let dir = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'omni-ingest-'));
  dir = join(root, 'workspace', 'files', key.chat, key.thread);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Everything under the conversation's folder (hidden temporaries too), relative to it. */
async function inFolder(): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

function input(body: IngestInput['body'], overrides: Partial<IngestInput> = {}): IngestInput {
  return { key, direction: 'in', name: 'app.log', body, policy: DEFAULT_FILE_POLICY, dir, ...overrides };
}

/** `total` bytes of `chunk`-sized pieces of `fill`, then optionally an error or a callback at `at` bytes. */
async function* bytes(
  total: number,
  options: { chunk?: number; fill?: number; failAt?: number; onAt?: { at: number; run(): void } } = {},
): AsyncGenerator<Buffer> {
  const size = options.chunk ?? 64 * 1024;
  const piece = Buffer.alloc(size, options.fill ?? 0x61);
  for (let sent = 0; sent < total; sent += size) {
    if (options.failAt !== undefined && sent >= options.failAt) throw new Error('socket hang up');
    if (options.onAt && sent >= options.onAt.at) options.onAt.run();
    yield piece.subarray(0, Math.min(size, total - sent));
    await new Promise((r) => setImmediate(r));
  }
}

async function expectRefused(promise: Promise<unknown>, reason: FileRefusedError['reason']) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FileRefusedError);
  expect((err as FileRefusedError).reason).toBe(reason);
  return err as FileRefusedError;
}

describe('ingestFile', () => {
  it('stores the file and places it in the workspace, byte-identical, under <id>/<name>', async () => {
    const store = createLocalFileStore(join(root, 'data', 'files'));
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const got = await ingestFile(store, input(Readable.from([SAMPLES.text]), { clock }));
    expect(got.file).toMatchObject({
      key,
      direction: 'in',
      name: 'app.log',
      kind: 'text',
      size: SAMPLES.text.length,
    });
    expect(got.file.createdAt).toBe(clock.now());
    expect(got.path).toBe(join(dir, got.file.id, 'app.log'));
    expect(await inFolder()).toEqual([got.file.id, join(got.file.id, 'app.log')]);
    expect((await readFile(got.path)).equals(SAMPLES.text)).toBe(true);
    const stored = await drain((await store.open(key, got.file.id))!.body);
    expect(stored.equals(SAMPLES.text)).toBe(true);
    expect(await store.list(key)).toEqual([got.file]);
  });

  it('names the file by its content and sanitises the name sent', async () => {
    const store = createMemoryFileStore();
    const png = await ingestFile(store, input(Readable.from([SAMPLES.png]), { name: '../../notes.txt' }));
    expect(png.file).toMatchObject({ name: 'notes.txt.png', kind: 'image', mime: 'image/png' });
    const photo = await ingestFile(
      store,
      input(Readable.from([SAMPLES.jpeg]), { name: undefined, fallbackName: 'photo' }),
    );
    expect(photo.file.name).toBe('photo.jpg');
    const hostileFallback = await ingestFile(
      store,
      input(Readable.from([SAMPLES.text]), { name: '\u202e', fallbackName: '../.x' }),
    );
    expect(hostileFallback.file.name).toBe('x.txt');
  });

  it('refuses a file over the cap as soon as it passes it, leaving nothing anywhere', async () => {
    const store = createMemoryFileStore();
    let pulled = 0;
    const body = (async function* () {
      for await (const chunk of bytes(50 * MB)) {
        pulled += chunk.length;
        yield chunk;
      }
    })();
    const err = await expectRefused(
      ingestFile(store, input(body, { policy: { ...DEFAULT_FILE_POLICY, maxBytes: 1 * MB } })),
      'too_large',
    );
    expect(err.status).toBe(413);
    expect(err.message).toBe('app.log is larger than 1.0 MB, the most this bot accepts');
    expect(pulled).toBeLessThan(2 * MB);
    expect(await inFolder()).toEqual([]);
    expect(await store.list(key)).toEqual([]);
  });

  it('accepts a file of exactly the cap', async () => {
    const store = createMemoryFileStore();
    const got = await ingestFile(
      store,
      input(bytes(MB), { policy: { ...DEFAULT_FILE_POLICY, maxBytes: MB } }),
    );
    expect(got.file.size).toBe(MB);
  });

  it('refuses an empty file (400) and leaves nothing', async () => {
    const store = createMemoryFileStore();
    const err = await expectRefused(ingestFile(store, input(Readable.from([]))), 'empty');
    expect(err.status).toBe(400);
    expect(await inFolder()).toEqual([]);
    expect(await store.list(key)).toEqual([]);
  });

  it('a body that fails halfway: download_failed with the cause, nothing in the folder or the store', async () => {
    const store = createMemoryFileStore();
    const err = await expectRefused(
      ingestFile(store, input(bytes(4 * MB, { failAt: 2 * MB }))),
      'download_failed',
    );
    expect((err.cause as Error).message).toBe('socket hang up');
    expect(err.status).toBe(502);
    expect(await inFolder()).toEqual([]);
    expect(await store.list(key)).toEqual([]);
  });

  it('an AbortSignal fired halfway: download_failed, nothing in the folder or the store', async () => {
    const store = createMemoryFileStore();
    const controller = new AbortController();
    const body = bytes(4 * MB, { onAt: { at: 2 * MB, run: () => controller.abort(new Error('timeout')) } });
    const err = await expectRefused(
      ingestFile(store, input(body, { signal: controller.signal })),
      'download_failed',
    );
    expect(err.message).toMatch(/stopped or timed out/);
    expect(await inFolder()).toEqual([]);
    expect(await store.list(key)).toEqual([]);
  });

  it('refuses a kind the tenant does not accept, naming what it accepts', async () => {
    const store = createMemoryFileStore();
    const err = await expectRefused(
      ingestFile(
        store,
        input(Readable.from([SAMPLES.zip]), {
          name: 'logs.txt',
          policy: { ...DEFAULT_FILE_POLICY, allow: ['image', 'pdf'] },
        }),
      ),
      'type_not_allowed',
    );
    expect(err.message).toBe('logs.txt is a binary file; this bot accepts an image, a PDF');
    expect(err.status).toBe(415);
    expect(await inFolder()).toEqual([]);
    expect(await store.list(key)).toEqual([]);
  });

  it('a store that fails: rejected, and the placed copy is removed again', async () => {
    const failing: FileStore = {
      ...createMemoryFileStore(),
      async put() {
        throw new Error('S3 down');
      },
    };
    await expect(ingestFile(failing, input(Readable.from([SAMPLES.text])))).rejects.toThrow('S3 down');
    expect(await inFolder()).toEqual([]);
  });

  it('streams a 20 MB body to disk without buffering it: bounded lag and no ~20 MB memory growth', async () => {
    const store = createLocalFileStore(join(root, 'data', 'files'));
    const total = 20 * MB;
    let produced = 0;
    let maxLag = 0;
    const base = process.memoryUsage();
    let peak = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - (base.heapUsed + base.arrayBuffers));
    };
    const body = (async function* () {
      for await (const chunk of bytes(total)) {
        if (produced % (2 * MB) === 0) {
          const tmp = (await readdir(dir)).find((n) => n.startsWith('.incoming-'));
          const onDisk = tmp ? (await stat(join(dir, tmp))).size : 0;
          maxLag = Math.max(maxLag, produced - onDisk);
          sample();
        }
        produced += chunk.length;
        yield chunk;
      }
    })();
    const timer = setInterval(sample, 5);
    try {
      const got = await ingestFile(store, input(body));
      expect(got.file.size).toBe(total);
      expect((await stat(got.path)).size).toBe(total);
    } finally {
      clearInterval(timer);
    }
    expect(maxLag).toBeLessThan(MB);
    expect(peak).toBeLessThan(10 * MB);
  });

  it('reads a real file stream (fs.createReadStream) as body', async () => {
    const store = createMemoryFileStore();
    const src = join(root, 'src.pdf');
    await import('node:fs/promises').then((fs) => fs.writeFile(src, SAMPLES.pdf));
    const got = await ingestFile(store, input(createReadStream(src), { name: 'runbook' }));
    expect(got.file).toMatchObject({ name: 'runbook.pdf', kind: 'pdf' });
  });
});
