import { constants } from 'node:fs';
import { mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { formatBytes } from '../files/policy.js';

/**
 * Which file `send_file` may send: only a regular file inside the conversation's folder, reached
 * without leaving it (links are followed and the target checked), at most `maxBytes`. Each refusal
 * is a sentence the agent reads and can act on.
 */

/** An opened file that may be sent (the caller closes `handle`), or why not. */
export type Sendable =
  { ok: true; handle: FileHandle; path: string; name: string; size: number } | { ok: false; reason: string };

/** Whether `path` is `root` or below it (both absolute, normalised). */
function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * Opens `requested` for sending: relative to `dir`, or absolute inside it. The file is opened
 * without following a final link (`O_NOFOLLOW` on the resolved path) and checked on the open
 * handle, so a link swapped in after the check is not followed either.
 */
export async function openSendable(dir: string, requested: string, maxBytes: number): Promise<Sendable> {
  const refuse = (reason: string): Sendable => ({ ok: false, reason });
  const outside = `only files inside ${dir} can be sent: copy it there first`;
  if (requested.trim() === '' || requested.includes('\0')) {
    return refuse(`give the path of a file inside ${dir}`);
  }
  await mkdir(dir, { recursive: true });
  const root = resolve(await realpath(dir));
  const lexical = resolve(dir, requested);
  if (!inside(lexical, resolve(dir)) && !inside(lexical, root)) return refuse(outside);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    return refuse(
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? `there is no file ${shown(requested)} in ${dir}: write or copy it there first`
        : `cannot read ${shown(requested)}: ${errorMessage(err)}`,
    );
  }
  if (!inside(real, root)) return refuse(`${outside} (${shown(requested)} leads outside it)`);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return refuse(`cannot read ${shown(requested)}: ${errorMessage(err)}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return refuse(
        `${shown(requested)} is not a regular file (a folder or a device); only files can be sent`,
      );
    }
    if (stat.size > maxBytes) {
      await handle.close();
      return refuse(
        `${shown(requested)} is ${formatBytes(stat.size)}; the most a file sent to the chat can be is ${formatBytes(maxBytes)}`,
      );
    }
    return { ok: true, handle, path: real, name: basename(lexical), size: stat.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** A path as the agent gave it, cut for a message. */
function shown(path: string): string {
  return `"${path.length > 200 ? `${path.slice(0, 200)}…` : path}"`;
}
