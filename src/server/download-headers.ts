import type { StoredFile } from '../files/types.js';

/**
 * `Content-Disposition: attachment` with the name twice (RFC 6266): `filename` as a quoted ASCII
 * fallback (anything else, quotes and backslashes as `_`) and `filename*` as UTF-8 percent-encoded
 * (RFC 8187), so no name can break out of the header or be shown differently than stored.
 */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(name)}`;
}

/** RFC 8187 `value-chars`: attr-char stays, every other UTF-8 byte is `%XX`. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*!]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Text types served as themselves (with charset); any other text (HTML, SVG, XML…) as plain text. */
const TEXT_AS_IS = new Set([
  'text/plain',
  'text/csv',
  'text/markdown',
  'text/tab-separated-values',
  'application/json',
  'application/x-ndjson',
  'application/yaml',
]);

/**
 * The `Content-Type` a stored file is served with: images and PDFs as stored (only PNG, JPEG, GIF,
 * WebP and PDF are ever stored as such: kinds come from content), text as a safe text type with
 * `charset=utf-8` (never `text/html` or `image/svg+xml`, which a browser would render and run),
 * everything else as `application/octet-stream`.
 */
export function downloadContentType(file: Pick<StoredFile, 'kind' | 'mime'>): string {
  switch (file.kind) {
    case 'image':
    case 'pdf':
      return file.mime;
    case 'text':
      return `${TEXT_AS_IS.has(file.mime) ? file.mime : 'text/plain'}; charset=utf-8`;
    case 'other':
      return 'application/octet-stream';
  }
}

/** Every header of a download: type, length, attachment disposition, no sniffing, no scripts, no caching. */
export function downloadHeaders(
  file: Pick<StoredFile, 'kind' | 'mime' | 'name' | 'size'>,
): Record<string, string> {
  return {
    'content-type': downloadContentType(file),
    'content-length': String(file.size),
    'content-disposition': attachmentDisposition(file.name),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': 'private, no-store',
  };
}
