import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageError } from '../core/errors.js';
import type { ConversationKey } from '../core/keys.js';
import { assertKey, assertStorable } from './check.js';
import { isFileId } from './ids.js';
import { mimeFor } from './kinds.js';
import { conversationPart, durablePart, parseDurableRest } from './paths.js';
import { byCreation } from './order.js';
import type { FileStore, StoredFile } from './types.js';

const SOURCE = 'files:local';

/**
 * Files under a local directory (`<data dir>/files`), laid out like the S3 keys:
 * `<root>/<tenant>/<chat>/<thread>/<id>/<direction>-<kind>-<createdAt>/<name>`. A put copies to a
 * temporary name (hidden, never listed) and renames, so a file is either wholly there or absent.
 */
export function createLocalFileStore(root: string): FileStore {
  const convDir = (key: ConversationKey): string => join(root, key.tenant, conversationPart(key));
  const read = async (
    key: ConversationKey,
    id: string,
  ): Promise<{ file: StoredFile; path: string } | undefined> => {
    assertKey(key);
    if (!isFileId(id)) return undefined;
    const idDir = join(convDir(key), id);
    for (const tag of await names(idDir)) {
      for (const name of await names(join(idDir, tag))) {
        const parsed = parseDurableRest(`${id}/${tag}/${name}`);
        if (!parsed) continue;
        const path = join(idDir, tag, name);
        const s = await stat(path).catch(() => undefined);
        if (!s?.isFile()) continue;
        return { path, file: { ...parsed, key, size: s.size, mime: mimeFor(parsed.name, parsed.kind) } };
      }
    }
    return undefined;
  };
  return {
    async put(file, localPath) {
      assertStorable(file, SOURCE);
      const target = join(root, file.key.tenant, durablePart(file));
      const folder = dirname(target);
      await mkdir(folder, { recursive: true });
      const tmp = join(folder, `.put-${randomBytes(6).toString('hex')}`);
      try {
        await copyFile(localPath, tmp);
        const { size } = await stat(tmp);
        if (size !== file.size) {
          throw new StorageError(`[${SOURCE}] ${file.name} is ${size} bytes, expected ${file.size}`);
        }
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        // Leave no empty folders behind (they would be harmless, but untidy).
        await rmdir(folder).catch(() => undefined);
        await rmdir(dirname(folder)).catch(() => undefined);
        throw err;
      }
    },
    async list(key) {
      assertKey(key);
      const out: StoredFile[] = [];
      for (const id of await names(convDir(key))) {
        const found = await read(key, id);
        if (found) out.push(found.file);
      }
      return out.sort(byCreation);
    },
    async get(key, id) {
      return (await read(key, id))?.file;
    },
    async open(key, id) {
      const found = await read(key, id);
      return found ? { file: found.file, body: createReadStream(found.path) } : undefined;
    },
  };
}

/** The entries of a folder that are not hidden (temporary files start with '.'); none if absent. */
async function names(dir: string): Promise<string[]> {
  const all = await readdir(dir).catch(() => [] as string[]);
  return all.filter((n) => !n.startsWith('.')).sort();
}
