import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FilesUnavailableError } from '../core/errors.js';
import { conversationKey } from '../core/keys.js';
import { ingestFile } from '../files/ingest.js';
import { createLocalFileStore } from '../files/local.js';
import { createMemoryFileStore } from '../files/memory.js';
import { workspacePath } from '../files/paths.js';
import { DEFAULT_FILE_POLICY, type FileStore, type StoredFile } from '../files/types.js';
import { prepareTurnFiles } from './turn-files.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'turn-files-'));
  dirs.push(dir);
  return dir;
}

const key = conversationKey({ tenant: 'default', chat: 'c1' });

/** `n` small files received into `dir` (container 1) and the store. */
async function receive(store: FileStore, dir: string, n: number): Promise<StoredFile[]> {
  const out: StoredFile[] = [];
  for (let i = 0; i < n; i++) {
    const body = Readable.from([Buffer.from(`line ${i}\n`)]);
    const name = `f${i}.log`;
    out.push(
      (await ingestFile(store, { key, direction: 'in', name, body, policy: DEFAULT_FILE_POLICY, dir })).file,
    );
  }
  return out;
}

describe('prepareTurnFiles', () => {
  it("brings every stored file into another container's folder, byte for byte", async () => {
    const store = createMemoryFileStore();
    const files = await receive(store, await temp(), 3);
    const dir = await temp();
    const outcome = await prepareTurnFiles({
      store,
      key,
      dir,
      attachments: [files[2] as StoredFile],
      warm: false,
    });
    expect(outcome).toMatchObject({ action: 'materialized', files: 3 });
    for (const [i, f] of files.entries())
      expect(await readFile(workspacePath(dir, f), 'utf8')).toBe(`line ${i}\n`);
  });

  it('in the live process of the previous turn: nothing without attachments, a stat of each with them', async () => {
    const store = createMemoryFileStore();
    const here = await temp();
    const files = await receive(store, here, 2);
    let listed = 0;
    const counting: FileStore = { ...store, list: (k) => (listed++, store.list(k)) };
    expect(
      await prepareTurnFiles({ store: counting, key, dir: here, attachments: [], warm: true }),
    ).toMatchObject({
      action: 'none',
    });
    expect(
      await prepareTurnFiles({ store: counting, key, dir: here, attachments: files, warm: true }),
    ).toMatchObject({
      action: 'checked',
    });
    expect(listed).toBe(0);
    // An attachment received by another container is brought in even then.
    const elsewhere = await temp();
    expect(
      await prepareTurnFiles({
        store: counting,
        key,
        dir: elsewhere,
        attachments: [files[0] as StoredFile],
        warm: true,
      }),
    ).toMatchObject({ action: 'materialized' });
    expect(listed).toBe(1);
  });

  it('fails with files_unavailable when the store fails or an attachment is not in it', async () => {
    const store = createMemoryFileStore();
    const files = await receive(store, await temp(), 1);
    const down: FileStore = { ...store, list: () => Promise.reject(new Error('S3 down')) };
    const failed = prepareTurnFiles({ store: down, key, dir: await temp(), attachments: [], warm: false });
    await expect(failed).rejects.toBeInstanceOf(FilesUnavailableError);
    await expect(failed).rejects.toMatchObject({
      code: 'files_unavailable',
      status: 503,
      message: /S3 down/,
    });
    const ghost = {
      ...(files[0] as StoredFile),
      id: 'fAAAAAAAAAAAAAAA' as StoredFile['id'],
      name: 'ghost.log',
    };
    await expect(
      prepareTurnFiles({ store, key, dir: await temp(), attachments: [ghost], warm: false }),
    ).rejects.toThrow('[agent:files] ghost.log is not in the file store');
  });

  it('costs one listing per turn: measured with the memory and the local (SQLite mode) file stores', async () => {
    const stores: Array<[string, FileStore]> = [
      ['memory', createMemoryFileStore()],
      ['local', createLocalFileStore(await temp())],
    ];
    const report: Record<string, { cold_ms: number; present_ms: number }> = {};
    for (const [name, store] of stores) {
      await receive(store, await temp(), 50);
      const dir = await temp();
      const cold = await prepareTurnFiles({ store, key, dir, attachments: [], warm: false });
      const present = await prepareTurnFiles({ store, key, dir, attachments: [], warm: false });
      expect(cold.files).toBe(50);
      report[name] = { cold_ms: cold.ms, present_ms: present.ms };
      // Generous bounds for a loaded 2-core machine: a listing and 50 stats, not a copy.
      expect(present.ms).toBeLessThan(1_000);
    }
    console.info('materialize, 50 files of a conversation:', JSON.stringify(report));
  });
});
