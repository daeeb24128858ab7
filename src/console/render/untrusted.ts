/**
 * Bidirectional controls (LRE…RLO, PDF, LRI…PDI) and the invisible marks that make text read
 * differently from what it is (`invoice‮fdp.exe`). Shown as their code point instead.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

const codePoint = (ch: string): string =>
  `[U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`;

/**
 * Text a model, a tool or a user wrote, made safe to show as text: bidi controls visible, NULs
 * removed. HTML escaping is the renderer's job (hono/jsx escapes every interpolation).
 */
export function inertText(text: string): string {
  return text.replace(BIDI_CONTROLS, codePoint).replaceAll('\u0000', '');
}
