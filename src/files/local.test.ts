import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runFileStoreConformance } from './conformance.js';
import { createLocalFileStore } from './local.js';

/** Every file under `dir` (hidden temporaries too), as paths relative to `dir`. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

runFileStoreConformance({
  name: 'local directory',
  async create() {
    const root = await mkdtemp(join(tmpdir(), 'omni-files-local-'));
    return {
      store: createLocalFileStore(root),
      raw: {
        // docs/storage.md: <root>/<tenant>/<chat>/<thread>/<id>/<direction>-<kind>-<createdAt>/<name>
        async readBytes(f) {
          const path = join(
            root,
            f.key.tenant,
            f.key.chat,
            f.key.thread,
            f.id,
            `${f.direction}-${f.kind}-${f.createdAt}`,
            f.name,
          );
          return readFile(path).catch(() => null);
        },
        listAll: () => walk(root),
      },
      async cleanup() {
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});
