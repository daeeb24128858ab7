import { Readable } from 'node:stream';
import { SNIFF_BYTES } from '../../files/kinds.js';

/**
 * One file of a request, before it is stored: where it came from (`field`, for error messages),
 * the name the client gave (untrusted: `ingestFile` sanitises it), its size, its first bytes (to
 * recognise it before anything is stored) and its bytes as a stream.
 */
export interface Upload {
  /** The request field that carried it: `file` (multipart) or `attachments.<i>` (JSON). */
  field: string;
  name: string;
  size: number;
  /** Up to `SNIFF_BYTES` from the start. */
  head(): Promise<Uint8Array>;
  body(): Readable;
}

/** A multipart `file` part (the web `File` the body parser made of it). */
export function uploadFromFile(field: string, file: File): Upload {
  return {
    field,
    name: file.name,
    size: file.size,
    head: async () => new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()),
    body: () => Readable.fromWeb(file.stream() as Parameters<typeof Readable.fromWeb>[0]),
  };
}

/** Bytes a valid base64 string decodes to, without decoding it. */
export function base64Size(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}

/** A JSON attachment `{ name, data }` (`data` already checked to be base64); decoded when first read. */
export function uploadFromBase64(field: string, name: string, data: string): Upload {
  let bytes: Buffer | undefined;
  const decoded = (): Buffer => (bytes ??= Buffer.from(data, 'base64'));
  return {
    field,
    name,
    size: base64Size(data),
    head: async () => decoded().subarray(0, SNIFF_BYTES),
    body: () => Readable.from([decoded()]),
  };
}
