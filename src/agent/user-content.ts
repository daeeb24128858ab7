import { readFile } from 'node:fs/promises';
import type { SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { formatBytes } from '../files/policy.js';
import { workspacePath } from '../files/paths.js';
import type { StoredFile } from '../files/types.js';
import { partHeader, partsMessage, type UserPart } from './options.js';
import { escapeAttribute } from './xml-escape.js';

/**
 * The user message of a turn with its attachments (issue 15). Per message part, in order: its
 * time, who sent it and what it replies to (`partHeader`), its text (the caption; left out when empty and files came with it), then per file its
 * content block — an image as an `image` block, a PDF as a `document` block, read from the
 * conversation's folder — and, for every file, a note saying where it is:
 * `<attachment name="app.log" kind="text" type="text/plain" size="12345" path="/…/app.log"/>`.
 * A file too large to be shown gets only its note, whose `note` attribute says why.
 *
 * Limits are those of the Messages API, measured on the base64 text sent: an image may be 5 MB
 * (5,242,880 characters of base64, so about 3.75 MB of file); one request may be 32 MB in all, so
 * the blocks of one message share `INLINE_BUDGET_BASE64` and the rest of the request (history,
 * tools) keeps the remainder. Blocks stay in the transcript: every later request of the
 * conversation carries them again.
 */

/** One message of a turn with the files sent with it (already stored and in the conversation's folder). */
export interface MessagePart extends UserPart {
  attachments?: readonly StoredFile[];
}

/** The Messages API's per-image limit, on the base64 text. */
export const IMAGE_BLOCK_MAX_BASE64 = 5 * 1024 * 1024;
/** What the content blocks of one user message may take together (base64), below the 32 MB request limit. */
export const INLINE_BUDGET_BASE64 = 24 * 1024 * 1024;
/** Image types the model can view. */
export const IMAGE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

type ContentBlock = Exclude<SDKUserMessage['message']['content'], string>[number];
type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

/** Characters of base64 for `bytes` bytes. */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** Largest file whose base64 fits in `chars` characters. */
export function bytesForBase64(chars: number): number {
  return Math.floor(chars / 4) * 3;
}

/**
 * The user message of a turn: `partsMessage` (byte for byte) when no part has files; otherwise
 * with content blocks and notes, reading images and PDFs from `dir` (the conversation's folder).
 * Throws if a file that is to be shown cannot be read.
 */
export async function buildUserMessage(
  parts: readonly [MessagePart, ...MessagePart[]],
  dir: string,
): Promise<SDKUserMessage> {
  if (!parts.some((p) => (p.attachments?.length ?? 0) > 0)) return partsMessage(parts);
  const budget = { left: INLINE_BUDGET_BASE64 };
  const content: ContentBlock[] = [];
  for (const part of parts) {
    const files = part.attachments ?? [];
    content.push(...partHeader(part));
    if (part.text !== '' || files.length === 0) content.push({ type: 'text', text: part.text });
    for (const file of files) content.push(...(await attachmentBlocks(file, dir, budget)));
  }
  return { type: 'user', message: { role: 'user', content }, parent_tool_use_id: null };
}

/** The blocks of one file: its content block when it can be shown, then its note. */
async function attachmentBlocks(
  file: StoredFile,
  dir: string,
  budget: { left: number },
): Promise<ContentBlock[]> {
  const path = workspacePath(dir, file);
  const shown = showAs(file, budget.left);
  if (shown.as === 'none') return [{ type: 'text', text: attachmentNote(file, path, shown.why) }];
  const data = (await readFile(path)).toString('base64');
  budget.left -= data.length;
  const block: ContentBlock =
    shown.as === 'image'
      ? { type: 'image', source: { type: 'base64', media_type: shown.mediaType, data } }
      : { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data } };
  return [block, { type: 'text', text: attachmentNote(file, path) }];
}

type Shown = { as: 'image'; mediaType: ImageMediaType } | { as: 'document' } | { as: 'none'; why?: string };

/** How a file reaches the model: as an image, as a document, or by its path only (and why). */
export function showAs(file: Pick<StoredFile, 'kind' | 'mime' | 'size'>, budgetLeft: number): Shown {
  if (file.kind !== 'image' && file.kind !== 'pdf') return { as: 'none' };
  const what = file.kind === 'image' ? 'an image' : 'a document';
  const chars = base64Length(file.size);
  if (file.kind === 'image') {
    const mediaType = IMAGE_MEDIA_TYPES.find((t) => t === file.mime);
    if (mediaType === undefined)
      return { as: 'none', why: `not shown: ${file.mime} is not an image type the model can view` };
    if (chars > IMAGE_BLOCK_MAX_BASE64) {
      return {
        as: 'none',
        why: `not shown as an image: larger than ${formatBytes(bytesForBase64(IMAGE_BLOCK_MAX_BASE64))}, the most the model takes; open it from the path`,
      };
    }
    if (chars > budgetLeft) return { as: 'none', why: overBudget(what) };
    return { as: 'image', mediaType };
  }
  if (chars > budgetLeft) return { as: 'none', why: overBudget(what) };
  return { as: 'document' };
}

function overBudget(what: string): string {
  return `not shown as ${what}: the files of this message are more than one request can carry (${formatBytes(bytesForBase64(INLINE_BUDGET_BASE64))}); open it from the path`;
}

/** `<attachment name="…" kind="…" type="…" size="…" path="…"[ note="…"]/>`, every value escaped. */
export function attachmentNote(
  file: Pick<StoredFile, 'name' | 'kind' | 'mime' | 'size'>,
  path: string,
  note?: string,
): string {
  const attrs: Array<[string, string]> = [
    ['name', file.name],
    ['kind', file.kind],
    ['type', file.mime],
    ['size', String(file.size)],
    ['path', path],
    ...(note === undefined ? [] : ([['note', note]] as Array<[string, string]>)),
  ];
  return `<attachment ${attrs.map(([k, v]) => `${k}="${escapeAttribute(v)}"`).join(' ')}/>`;
}

/**
 * A part as text only, where a message can carry no blocks (the answer to a pending approval
 * request is a tool result's text): its text, then the notes of its files.
 */
export function withAttachmentNotes(part: MessagePart, dir: string): UserPart {
  const { attachments, ...rest } = part;
  const notes = (attachments ?? []).map((f) => attachmentNote(f, workspacePath(dir, f)));
  if (notes.length === 0) return rest;
  return { ...rest, text: [part.text, ...notes].filter((t) => t !== '').join('\n') };
}
