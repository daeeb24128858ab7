import { createReadStream } from 'node:fs';
import { access, constants, open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { AgentRunner } from '../agent/types.js';
import { OmniError } from '../core/errors.js';
import type { ConversationKey } from '../core/keys.js';
import { ingestFile } from '../files/ingest.js';
import { formatBytes } from '../files/policy.js';
import { SNIFF_BYTES } from '../files/kinds.js';
import { workspacePath } from '../files/paths.js';
import {
  DEFAULT_FILE_POLICY,
  type FilePolicy,
  type FileStore,
  type SentFile,
  type StoredFile,
} from '../files/types.js';
import { assertAccepted } from '../files/policy.js';
import type { ResolvedTenants } from '../tenants/types.js';

/** A local file named with `--file` (or `/file`), found readable. */
export interface LocalFile {
  /** Absolute path. */
  path: string;
  /** The name it is sent under (the last path component; sanitised when stored). */
  name: string;
  size: number;
}

/** A `--file` that cannot be sent (missing, not a regular file, unreadable): nothing has run yet. */
export class LocalFileError extends OmniError {
  constructor(message: string) {
    super('file_unreadable', message, { status: 400 });
  }
}

/**
 * Checks that `raw` names a readable regular file; throws `LocalFileError` saying why not, naming
 * the option or command it came from (`flag`).
 */
export async function localFile(raw: string, flag = '--file'): Promise<LocalFile> {
  if (raw.trim() === '') throw new LocalFileError(`${flag} needs a path`);
  const path = resolve(raw);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new LocalFileError(
      err.code === 'ENOENT'
        ? `${flag} ${raw}: no such file`
        : `${flag} ${raw}: cannot read it (${err.code ?? err.message})`,
    );
  });
  if (!info.isFile()) throw new LocalFileError(`${flag} ${raw}: not a regular file`);
  await access(path, constants.R_OK).catch(() => {
    throw new LocalFileError(`${flag} ${raw}: permission denied`);
  });
  return { path, name: basename(path), size: info.size };
}

/** What attaching needs of the app: the runner's folder, the file store, the tenants' policies. */
export interface AttachDeps {
  runner: Pick<AgentRunner, 'filesDir'>;
  files: FileStore;
  /** The tenants (their `files` policy); absent: `DEFAULT_FILE_POLICY`. */
  tenants?: Pick<ResolvedTenants, 'tenants'> | undefined;
}

const policyOf = (deps: AttachDeps, key: ConversationKey): FilePolicy =>
  deps.tenants?.tenants.get(key.tenant)?.files ?? DEFAULT_FILE_POLICY;

async function headOf(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Stores local files for the next turn, as the API does with uploads: every file is checked against
 * the tenant's policy before the first is stored (a refusal stores nothing), then each is streamed
 * into the conversation's folder and the durable store. Returns them for `TurnRequest.attachments`.
 */
export async function attachFiles(
  deps: AttachDeps,
  key: ConversationKey,
  files: readonly LocalFile[],
): Promise<StoredFile[]> {
  if (files.length === 0) return [];
  const policy = policyOf(deps, key);
  for (const file of files) {
    await assertAccepted({ name: file.name, size: file.size, head: await headOf(file.path) }, policy);
  }
  if (!deps.runner.filesDir) throw new LocalFileError('this runner does not take files with a message');
  const dir = await deps.runner.filesDir(key);
  const stored: StoredFile[] = [];
  for (const file of files) {
    const body = createReadStream(file.path);
    const { file: saved } = await ingestFile(deps.files, {
      key,
      direction: 'in',
      name: file.name,
      body,
      policy,
      dir,
    });
    stored.push(saved);
  }
  return stored;
}

/** One line per file the agent sent: `📎 sent report.csv (12 KB): <where it is on this machine>`. */
export async function sentFileLines(
  runner: Pick<AgentRunner, 'filesDir'>,
  key: ConversationKey,
  files: readonly SentFile[] | undefined,
): Promise<string[]> {
  if (!files?.length) return [];
  const dir = runner.filesDir ? await runner.filesDir(key) : undefined;
  return files.map((f) => {
    const where = dir !== undefined ? `: ${workspacePath(dir, f)}` : '';
    // eslint-disable-next-line no-control-regex -- the model's caption on one terminal line
    const caption = f.caption ? ` — ${f.caption.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()}` : '';
    return `📎 sent ${f.name} (${formatBytes(f.size)})${where}${caption}`;
  });
}
