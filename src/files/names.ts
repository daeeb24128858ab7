/**
 * A file name a user or client sent, made safe to use as one path segment on any file system and
 * to show in a chat: the last path component only, NFC, without control, bidi-override or
 * zero-width characters, without characters Windows or shells treat specially, no leading dot
 * (no hidden files, never `.` or `..`), no trailing dot or space, no bare Windows device name
 * (`NUL`, `con.txt` get a `_` in front), at most `MAX_NAME_BYTES` UTF-8
 * bytes with the extension kept. Nothing left → `fallback`. Sanitising a sanitised name changes
 * nothing (`isSanitizedName`).
 */
export const MAX_NAME_BYTES = 120;

// C0/C1 controls (NUL included), the soft hyphen, bidi embeddings/overrides/isolates and marks,
// zero-width and other invisible characters, the BOM, interlinear annotations, Unicode tag
// characters and lone surrogates: they make a name lie about itself on screen (`exe.txt` shown as
// `txt.exe`) or change when encoded as UTF-8.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}\ud800-\udfff]/gu;
const RESERVED = /[<>:"|?*\\/]/g;
/** Windows device names, with or without an extension (`NUL`, `con.txt`): `_` is put in front. */
const DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

export function sanitizeFileName(raw: string | undefined, fallback = 'file'): string {
  if (raw === undefined) return fallback;
  const last = raw.split(/[/\\]/).at(-1) ?? '';
  const cleaned = tidy(last.replace(INVISIBLE, '').normalize('NFC').replace(RESERVED, '_'));
  if (cleaned === '') return fallback;
  return clipName(DEVICE.test(cleaned) ? `_${cleaned}` : cleaned, MAX_NAME_BYTES);
}

/** Whether `name` is what `sanitizeFileName` makes of it (safe as a stored file's name). */
export function isSanitizedName(name: string): boolean {
  return name !== '' && sanitizeFileName(name, '') === name;
}

/** One space for any run of white space, no leading dots, no leading or trailing dots and spaces. */
function tidy(name: string): string {
  return name
    .replace(/\s+/g, ' ')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
}

/** The extension of a sanitised name, lower case without the dot (`''` if none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * `name` (sanitised) cut to `maxBytes` UTF-8 bytes on a character boundary, keeping an extension of
 * up to 16 characters; the result is tidy again (no trailing dot or space after the cut).
 */
export function clipName(name: string, maxBytes: number): string {
  const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
  if (bytes(name) <= maxBytes) return name;
  const ext = extensionOf(name);
  const suffix = ext && ext.length <= 16 ? `.${name.slice(name.length - ext.length)}` : '';
  const stem = [...name.slice(0, name.length - suffix.length)];
  while (stem.length > 0 && bytes(stem.join('') + suffix) > maxBytes) stem.pop();
  const out = tidy(tidy(stem.join('')) + suffix);
  return out === '' ? 'file' : out;
}
