import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { conversationKey } from '../core/keys.js';
import { ingestFile } from './ingest.js';
import { createLocalFileStore } from './local.js';
import { materializeFiles } from './materialize.js';
import { workspacePath } from './paths.js';
import { DEFAULT_FILE_POLICY, type FileStore, type StoredFile } from './types.js';

const key = conversationKey({ tenant: 'acme', chat: '42', thread: 'main' });

let root = '';
let store: FileStore;
let opens = 0;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'omni-materialize-'));
  store = createLocalFileStore(join(root, 'data'));
  opens = 0;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** `store`, counting `open` calls; its bodies come in `chunks` slow pieces (to overlap callers). */
function counting(options: { chunks?: number; truncate?: boolean } = {}): FileStore {
  return {
    ...store,
    async open(k, id) {
      opens++;
      const opened = await store.open(k, id);
      if (!opened) return undefined;
      const bytes = await readFile(workspacePath(join(root, 'first'), opened.file));
      opened.body.destroy();
      const n = options.chunks ?? 1;
      const size = Math.ceil(bytes.length / n);
      const pieces = Array.from({ length: n }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
      const body = Readable.from(
        (async function* () {
          for (const [i, piece] of pieces.entries()) {
            if (options.truncate && i === n - 1) return;
            await new Promise((r) => setTimeout(r, 2));
            yield piece;
          }
        })(),
      );
      return { file: opened.file, body };
    },
  };
}

/** Three files received into the first workspace folder. */
async function receive(): Promise<Array<{ file: StoredFile; bytes: Buffer }>> {
  const clock = new ManualClock(Date.UTC(2026, 11, 1));
  const out = [];
  for (const [i, name] of ['a.log', 'b.csv', 'c.bin'].entries()) {
    const bytes = i === 2 ? randomBytes(256 * 1024) : Buffer.from(`${name}\n`.repeat(1000 * (i + 1)));
    clock.advance(1000);
    const { file } = await ingestFile(store, {
      key,
      direction: 'in',
      name,
      body: Readable.from([bytes]),
      policy: DEFAULT_FILE_POLICY,
      dir: join(root, 'first'),
      clock,
    });
    out.push({ file, bytes });
  }
  return out;
}

async function expectAllIn(dir: string, files: Array<{ file: StoredFile; bytes: Buffer }>) {
  for (const { file, bytes } of files) {
    expect((await readFile(workspacePath(dir, file))).equals(bytes), file.name).toBe(true);
  }
  const leftovers = (await readdir(dir, { recursive: true })).filter((p) =>
    p.split('/').some((s) => s.startsWith('.')),
  );
  expect(leftovers).toEqual([]);
}

describe('materializeFiles', () => {
  it('brings every stored file into a second workspace folder and returns them oldest first', async () => {
    const received = await receive();
    const second = join(root, 'second');
    const files = await materializeFiles(counting(), key, second);
    expect(files).toEqual(received.map((r) => r.file));
    await expectAllIn(second, received);
    expect(opens).toBe(3);
  });

  it('leaves files of the right size alone (a warm container pays one listing)', async () => {
    const received = await receive();
    const second = join(root, 'second');
    await materializeFiles(counting(), key, second);
    opens = 0;
    await materializeFiles(counting(), key, second);
    expect(opens).toBe(0);
    await materializeFiles(counting(), key, join(root, 'first'));
    expect(opens).toBe(0);
    await expectAllIn(second, received);
  });

  it('replaces a partial copy (wrong size)', async () => {
    const received = await receive();
    const second = join(root, 'second');
    const partial = workspacePath(second, received[2]!.file);
    await mkdir(dirname(partial), { recursive: true });
    await writeFile(partial, received[2]!.bytes.subarray(0, 1000));
    await materializeFiles(counting(), key, second);
    await expectAllIn(second, received);
  });

  it('two callers materialising the same conversation at once do not corrupt each other', async () => {
    const received = await receive();
    const second = join(root, 'second');
    // Every caller in the same millisecond: temporary names must not rest on the time.
    vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 11, 2));
    await Promise.all([
      materializeFiles(counting({ chunks: 8 }), key, second),
      materializeFiles(counting({ chunks: 8 }), key, second),
      materializeFiles(counting({ chunks: 5 }), key, second),
    ]).finally(() => vi.restoreAllMocks());
    await expectAllIn(second, received);
  });

  it('a body that ends short is refused and nothing is placed', async () => {
    const received = await receive();
    const second = join(root, 'second');
    await expect(materializeFiles(counting({ chunks: 4, truncate: true }), key, second)).rejects.toThrow(
      /arrived incomplete/,
    );
    for (const { file } of received) {
      await expect(readFile(workspacePath(second, file))).rejects.toThrow(/ENOENT/);
    }
    const leftovers = (await readdir(second, { recursive: true }).catch(() => [])).filter((p) =>
      p.includes('.fetching-'),
    );
    expect(leftovers).toEqual([]);
  });

  it('an empty conversation materialises nothing', async () => {
    expect(await materializeFiles(store, key, join(root, 'empty'))).toEqual([]);
  });
});
