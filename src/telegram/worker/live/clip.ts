import { TELEGRAM_TEXT_LIMIT } from '../format.js';

/**
 * Fit streamed text into one message: the newest part when too long, after an ellipsis (the
 * final answer is split instead, never clipped). Never cuts a surrogate pair.
 */
export function clipTail(text: string, limit = TELEGRAM_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  let start = text.length - (limit - 1);
  if (isLowSurrogate(text.charCodeAt(start))) start++;
  return `…${text.slice(start)}`;
}

/** The first `limit` characters, with an ellipsis when cut (status lines, summaries). */
export function clipHead(text: string, limit: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= limit) return flat;
  let end = limit - 1;
  if (isLowSurrogate(flat.charCodeAt(end))) end--;
  return `${flat.slice(0, end)}…`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
