import { open } from 'node:fs/promises';
import { fileTypeFromBuffer } from 'file-type';
import { MAX_NAME_BYTES, clipName, extensionOf } from './names.js';
import type { FileKind } from './types.js';

/** The image formats the model takes as image blocks, by the extension `file-type` reports. */
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/**
 * Text extensions with a more precise MIME type than `text/plain`. Never a type a browser runs
 * (HTML, SVG, XML): a stored file's `mime` may become a download's Content-Type, and a user's
 * `page.html` must not execute on the API's origin.
 */
const TEXT_MIME: Record<string, string> = {
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  ndjson: 'application/x-ndjson',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  md: 'text/markdown',
};

/** What the first bytes of a file say it is: the kind and, when recognised, its usual extension. */
export interface Sniffed {
  kind: FileKind;
  /** The content's own extension (`png`, `pdf`, `zip`…); for text: none. */
  ext: string | undefined;
}

/** Bytes read from the start of a file to recognise it. */
export const SNIFF_BYTES = 64 * 1024;

/** Recognises a file by its content (`file-type`'s signatures; else UTF-8 text or binary). */
export async function sniffFile(path: string): Promise<Sniffed> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    const stat = await handle.stat();
    return sniffBytes(buf.subarray(0, bytesRead), stat.size > bytesRead);
  } finally {
    await handle.close();
  }
}

/** `sniffFile` on the first bytes; `truncated` when the file goes on (a cut UTF-8 sequence is then fine). */
export async function sniffBytes(head: Uint8Array, truncated: boolean): Promise<Sniffed> {
  const type = await fileTypeFromBuffer(head);
  if (type) {
    // An animated PNG is still a PNG (the model shows its first frame).
    const ext = type.ext === 'apng' ? 'png' : type.ext;
    if (IMAGE_TYPES[ext]) return { kind: 'image', ext };
    if (type.ext === 'pdf') return { kind: 'pdf', ext: 'pdf' };
    // file-type also recognises some text formats by their start (XML, SVG…): still text.
    if (!looksLikeText(head, truncated)) return { kind: 'other', ext: type.ext };
  }
  return looksLikeText(head, truncated)
    ? { kind: 'text', ext: undefined }
    : { kind: 'other', ext: undefined };
}

function looksLikeText(head: Uint8Array, truncated: boolean): boolean {
  if (head.includes(0)) return false;
  try {
    // `stream: true` keeps an incomplete sequence at the end for a next chunk instead of failing:
    // right when the sample was cut from a longer file, wrong when it is the whole file.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: truncated });
    return true;
  } catch {
    return false;
  }
}

/**
 * The name a file is stored under: the sanitised name, with the content's own extension appended
 * when the name claims something else (`chart` → `chart.png`, a PNG called `notes.txt` →
 * `notes.txt.png`, a text file called `x.png` → `x.png.txt`), so the name never lies to the agent.
 */
export function nameForContent(name: string, sniffed: Sniffed): string {
  const ext = extensionOf(name);
  const own = sniffed.ext ?? (sniffed.kind === 'text' ? 'txt' : undefined);
  if (own === undefined) return name;
  if (ext === own || (own === 'jpg' && ext === 'jpeg')) return name;
  if (sniffed.kind === 'text' && ext !== '' && !IMAGE_TYPES[ext] && ext !== 'pdf') return name;
  if (sniffed.kind === 'other' && sniffed.ext === undefined) return name;
  return clipName(`${name}.${own}`, MAX_NAME_BYTES);
}

/** The MIME type of a stored file, from its kind and (stored, so truthful) name. */
export function mimeFor(name: string, kind: FileKind): string {
  const ext = extensionOf(name);
  switch (kind) {
    case 'image':
      return IMAGE_TYPES[ext === 'jpeg' ? 'jpg' : ext] ?? 'application/octet-stream';
    case 'pdf':
      return 'application/pdf';
    case 'text':
      return TEXT_MIME[ext] ?? 'text/plain';
    case 'other':
      return 'application/octet-stream';
  }
}
