/**
 * Terminal columns of text, for tables that must fit a width: a wide character (CJK, full-width
 * forms, most emoji) takes two columns, a combining mark none. Counted per grapheme, so a flag or
 * a family emoji is one two-column cell and is never cut in half.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const ZERO = /^(?:\p{Mn}|\p{Me}|\p{Cf}|[\u0000-\u001f\u007f-\u009f])+$/u;

function graphemeWidth(g: string): number {
  if (ZERO.test(g)) return 0;
  if (EMOJI.test(g) && !/^[\d#*]/.test(g)) return 2;
  return WIDE.test(g) ? 2 : 1;
}

/** How many terminal columns `text` takes. */
export function textWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text` cut to at most `max` columns, ending with "…" when it was cut. */
export function fitText(text: string, max: number): string {
  if (textWidth(text) <= max) return text;
  if (max <= 0) return '';
  let out = '';
  let width = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = graphemeWidth(segment);
    if (width + w > max - 1) break;
    out += segment;
    width += w;
  }
  return `${out}…`;
}

/** `text` padded with spaces to `width` columns. */
export function padText(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - textWidth(text)));
}
