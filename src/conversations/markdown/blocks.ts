import { isRecord } from '../../core/guards.js';
import { formatBytes } from '../../files/policy.js';
import type { Part } from './types.js';

/** Content blocks of the Messages API as they appear in stored entries, read defensively. */

/** A message's `content` as blocks: a string is one text block; anything malformed, none. */
export function blocksOf(content: unknown): Array<Record<string, unknown>> {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

/** A tool result's content as text: text blocks as they are, anything else as a placeholder line. */
export function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return blocksOf(content)
    .map((block) => (typeof block['text'] === 'string' ? block['text'] : `[${placeholderOf(block).text}]`))
    .join('\n');
}

/** `image: image/png, 70 B`, `document: application/pdf, 1.2 KB`: never the data itself. */
export function placeholderOf(block: Record<string, unknown>): Extract<Part, { type: 'placeholder' }> {
  const kind = typeof block['type'] === 'string' ? block['type'] : 'block';
  const source = isRecord(block['source']) ? block['source'] : {};
  const details: string[] = [];
  if (typeof source['media_type'] === 'string') details.push(source['media_type']);
  if (typeof source['data'] === 'string') details.push(formatBytes(base64Bytes(source['data'])));
  else if (typeof source['url'] === 'string') details.push(source['url']);
  if (typeof block['title'] === 'string') details.push(block['title']);
  return { type: 'placeholder', text: details.length > 0 ? `${kind}: ${details.join(', ')}` : kind };
}

/** Bytes encoded by a base64 string. */
function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}
