import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One regular file of a folder tree. */
export interface TreeFile {
  /** Relative path, forward slashes. */
  rel: string;
  abs: string;
  size: number;
  executable: boolean;
}

export interface TreeScan {
  files: TreeFile[];
  /** Entries that are neither regular files nor folders (symlinks, sockets…). */
  problems: Array<{ rel: string; message: string }>;
}

/** Lists a folder recursively (never following symlinks), files sorted by path. */
export async function scanTree(root: string): Promise<TreeScan> {
  const scan: TreeScan = { files: [], problems: [] };
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs, rel);
      else if (entry.isFile()) {
        const s = await stat(abs);
        scan.files.push({ rel, abs, size: s.size, executable: (s.mode & 0o111) !== 0 });
      } else {
        scan.problems.push({
          rel,
          message: entry.isSymbolicLink()
            ? 'symbolic links are not allowed in a skill folder'
            : 'not a regular file or folder',
        });
      }
    }
  };
  await walk(root, '');
  scan.files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return scan;
}

/** Content hash of a tree: every file's path, exec bit, size and bytes. */
export async function hashFiles(files: readonly TreeFile[]): Promise<string> {
  const hash = createHash('sha256');
  for (const f of files) {
    const bytes = await readFile(f.abs);
    hash.update(`${f.rel}\0${f.executable ? 'x' : '-'}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** Hash of the tree at `root`, or undefined when it is missing or holds anything but files/folders. */
export async function hashTree(root: string): Promise<string | undefined> {
  try {
    const scan = await scanTree(root);
    if (scan.problems.length > 0) return undefined;
    return await hashFiles(scan.files);
  } catch {
    return undefined;
  }
}
