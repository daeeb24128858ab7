import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ConversationKey } from '../core/keys.js';
import { isFileId } from './ids.js';
import { mimeFor } from './kinds.js';
import { conversationPart, durablePart, parseDurableRest } from './paths.js';
import type { FileId, FileStore, StoredFile } from './types.js';

/**
 * Files under a local directory (`<data dir>/files`), laid out like the S3 keys:
 * `<root>/<tenant>/<chat>/<thread>/<id>/<direction>-<kind>/<name>`. A put copies to a temporary
 * name and renames, so a file is either wholly there or absent.
 */
export function createLocalFileStore(root: string): FileStore {
  const convDir = (key: ConversationKey): string => join(root, key.tenant, conversationPart(key));
  const read = async (
    key: ConversationKey,
    id: FileId,
  ): Promise<{ file: StoredFile; path: string } | undefined> => {
    if (!isFileId(id)) return undefined;
    const idDir = join(convDir(key), id);
    const tags = await readdir(idDir).catch(() => [] as string[]);
    for (const tag of tags) {
      for (const name of await readdir(join(idDir, tag)).catch(() => [] as string[])) {
        if (name.startsWith('.')) continue;
        const parsed = parseDurableRest(`${id}/${tag}/${name}`);
        if (!parsed) continue;
        const path = join(idDir, tag, name);
        const s = await stat(path);
        return {
          path,
          file: {
            ...parsed,
            key,
            size: s.size,
            mime: mimeFor(parsed.name, parsed.kind),
            createdAt: s.mtimeMs,
          },
        };
      }
    }
    return undefined;
  };
  return {
    async put(file, localPath) {
      const target = join(root, file.key.tenant, durablePart(file));
      await mkdir(dirname(target), { recursive: true });
      const tmp = join(dirname(target), `.put-${process.pid}-${Date.now()}`);
      try {
        await copyFile(localPath, tmp);
        const at = new Date(file.createdAt);
        await utimes(tmp, at, at);
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    async list(key) {
      const ids = await readdir(convDir(key)).catch(() => [] as string[]);
      const out: StoredFile[] = [];
      for (const id of ids) {
        const found = await read(key, id as FileId);
        if (found) out.push(found.file);
      }
      return out.sort((a, b) => a.createdAt - b.createdAt);
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
