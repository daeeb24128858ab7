import { FileRefusedError } from './errors.js';
import { sniffBytes } from './kinds.js';
import { sanitizeFileName } from './names.js';
import type { FileKind, FilePolicy } from './types.js';

/**
 * A tenant's file policy as refusals, in one set of words for every front end: `ingestFile` checks
 * while it streams, and `assertAccepted` checks a message's files up front (the API and the CLI:
 * a message whose second file is refused stores nothing and runs no turn).
 */

export function refuseEmpty(name: string): FileRefusedError {
  return new FileRefusedError('empty', `${name} is empty`, { name });
}

export function refuseTooLarge(name: string, maxBytes: number): FileRefusedError {
  return new FileRefusedError(
    'too_large',
    `${name} is larger than ${formatBytes(maxBytes)}, the most this bot accepts`,
    { name, maxBytes },
  );
}

/** Throws `type_not_allowed` (naming what the tenant accepts) unless `kind` is allowed. */
export function assertKindAllowed(name: string, kind: FileKind, policy: FilePolicy): void {
  if (policy.allow.includes(kind)) return;
  throw new FileRefusedError(
    'type_not_allowed',
    `${name} is ${describeKind(kind)}; this bot accepts ${policy.allow.map(describeKind).join(', ')}`,
    { name, kind },
  );
}

/** What a front end knows of a file before storing it. */
export interface FileFacts {
  name: string;
  size: number;
  /** The file's first `SNIFF_BYTES` (all of it when shorter). */
  head: Uint8Array;
}

/** The checks `ingestFile` makes (empty, over the cap, kind not allowed), before anything is stored. */
export async function assertAccepted(file: FileFacts, policy: FilePolicy): Promise<void> {
  const name = sanitizeFileName(file.name, 'file');
  if (file.size === 0) throw refuseEmpty(name);
  if (file.size > policy.maxBytes) throw refuseTooLarge(name, policy.maxBytes);
  const { kind } = await sniffBytes(file.head, file.size > file.head.byteLength);
  assertKindAllowed(name, kind, policy);
}

export function describeKind(kind: FileKind): string {
  switch (kind) {
    case 'image':
      return 'an image';
    case 'pdf':
      return 'a PDF';
    case 'text':
      return 'a text file';
    case 'other':
      return 'a binary file';
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
