import { OmniError } from '../core/errors.js';
import type { FileKind } from './types.js';

/** Why a file was not accepted. */
export type FileRefusal = 'too_large' | 'type_not_allowed' | 'empty' | 'download_failed';

/** A file was refused (policy) or could not be received; nothing of it was stored. */
export class FileRefusedError extends OmniError {
  constructor(
    readonly reason: FileRefusal,
    message: string,
    readonly details: { name?: string; kind?: FileKind; maxBytes?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(`file_${reason}`, message, {
      status: reason === 'too_large' ? 413 : reason === 'download_failed' ? 502 : 415,
      ...(options?.cause !== undefined ? { cause: options.cause } : {}),
    });
    if (reason === 'empty') Object.defineProperty(this, 'status', { value: 400 });
  }
}
