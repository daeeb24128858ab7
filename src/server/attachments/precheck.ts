import { FileRefusedError } from '../../files/errors.js';
import { describeKind, formatBytes } from '../../files/ingest.js';
import { sniffBytes } from '../../files/kinds.js';
import { sanitizeFileName } from '../../files/names.js';
import type { FilePolicy } from '../../files/types.js';

/** What a front end knows of a file before storing it. */
export interface FileFacts {
  name: string;
  size: number;
  /** The file's first `SNIFF_BYTES` (all of it when shorter). */
  head: Uint8Array;
}

/**
 * The policy check `ingestFile` makes (empty, over the cap, kind not allowed), made on every file
 * of a message before the first is stored, so a message whose second file is refused stores
 * nothing and runs no turn. Same recognition (`sniffBytes`) and the same words as `ingestFile`.
 */
export async function assertAccepted(file: FileFacts, policy: FilePolicy): Promise<void> {
  const name = sanitizeFileName(file.name, 'file');
  if (file.size === 0) throw new FileRefusedError('empty', `${name} is empty`, { name });
  if (file.size > policy.maxBytes) {
    throw new FileRefusedError(
      'too_large',
      `${name} is larger than ${formatBytes(policy.maxBytes)}, the most this bot accepts`,
      { name, maxBytes: policy.maxBytes },
    );
  }
  const { kind } = await sniffBytes(file.head, file.size > file.head.byteLength);
  if (!policy.allow.includes(kind)) {
    throw new FileRefusedError(
      'type_not_allowed',
      `${name} is ${describeKind(kind)}; this bot accepts ${policy.allow.map(describeKind).join(', ')}`,
      { name, kind },
    );
  }
}
