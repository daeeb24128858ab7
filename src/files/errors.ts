import { OmniError } from '../core/errors.js';
import type { FileKind } from './types.js';

/** Why a file was not accepted. */
export type FileRefusal = 'too_large' | 'type_not_allowed' | 'empty' | 'download_failed';

/** The HTTP status each refusal suggests at the API boundary. */
const STATUS: Record<FileRefusal, number> = {
  too_large: 413,
  type_not_allowed: 415,
  empty: 400,
  download_failed: 502,
};

/**
 * A file was refused (policy) or could not be received; nothing of it was stored. `code` is
 * `file_<reason>`; the message is meant for the person who sent the file.
 */
export class FileRefusedError extends OmniError {
  constructor(
    readonly reason: FileRefusal,
    message: string,
    readonly details: { name?: string; kind?: FileKind; maxBytes?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(`file_${reason}`, message, { status: STATUS[reason], cause: options?.cause });
  }
}
