/**
 * A file name a user or client sent, made safe to use as one path segment on any file system and
 * to show in a chat: the last path component only, NFC, without control, bidi-override or
 * zero-width characters, without characters Windows or shells treat specially, no leading dot
 * (no hidden files, never `.` or `..`), at most `MAX_NAME_BYTES` UTF-8 bytes with the extension
 * kept. Nothing left → `fallback`.
 */
export const MAX_NAME_BYTES = 120;

// C0/C1 controls (NUL included), bidi embeddings/overrides/isolates and marks, zero-width
// characters and the BOM: they make a name lie about itself on screen (`exe.txt` shown as `txt.exe`).
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu;
const RESERVED = /[<>:"|?*\\/]/g;

export function sanitizeFileName(raw: string | undefined, fallback = 'file'): string {
  if (raw === undefined) return fallback;
  const last = raw.split(/[/\\]/).at(-1) ?? '';
  const cleaned = last
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(RESERVED, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (cleaned === '') return fallback;
  return clipName(cleaned, MAX_NAME_BYTES);
}

/** The extension of a sanitised name, lower case without the dot (`''` if none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** `name` cut to `maxBytes` UTF-8 bytes on a character boundary, keeping a short extension. */
export function clipName(name: string, maxBytes: number): string {
  const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
  if (bytes(name) <= maxBytes) return name;
  const ext = extensionOf(name);
  const suffix = ext && ext.length <= 16 ? `.${name.slice(name.length - ext.length)}` : '';
  const stem = [...name.slice(0, name.length - suffix.length)];
  while (stem.length > 0 && bytes(stem.join('') + suffix) > maxBytes) stem.pop();
  const out = (stem.join('').trimEnd() + suffix).replace(/^[.\s]+/, '');
  return out === '' ? 'file' : out;
}
