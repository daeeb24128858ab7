import type { Message, PhotoSize } from 'grammy/types';
import { sanitizeFileName } from '../../files/names.js';
import type { TelegramAttachment } from '../../queue/types.js';
import { texts } from './texts.js';

/** The Bot API lets a bot download files up to 20 MB (`getFile`); larger ones cannot be fetched at all. */
export const BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** What the ingress knows of the tenant's file policy: the cap it can check by declared size. */
export interface IngressFilePolicy {
  maxBytes: number;
}

/**
 * Kinds of content a user sends on purpose that the agent cannot take yet, with the words for
 * them. Checked before `document`: Telegram sends an animation with a `document` field as well.
 */
const UNSUPPORTED = [
  ['voice', 'Voice messages'],
  ['video_note', 'Video messages'],
  ['sticker', 'Stickers'],
  ['location', 'Locations'],
  ['venue', 'Venues'],
  ['contact', 'Contacts'],
  ['poll', 'Polls'],
  ['dice', 'Dice'],
  ['animation', 'GIFs'],
  ['audio', 'Audio files'],
  ['video', 'Videos'],
  ['story', 'Stories'],
  ['paid_media', 'Paid media'],
  ['checklist', 'Checklists'],
] as const;

/**
 * What a message with content other than text is, for the ingress:
 * - `files`: a photo or a document to download in the worker (the caption is the prompt);
 * - `refused`: a file it can say at once it will not take (too large by its declared size);
 * - `unsupported`: a kind the agent cannot take yet (the reply names it);
 * - `undefined`: nothing a user sent on purpose (a service message).
 * Only declared sizes are checked here (nothing is downloaded); kinds are checked by content in the worker.
 */
export type MessageContent =
  | { type: 'files'; attachments: TelegramAttachment[]; caption: string; mediaGroupId?: string }
  | { type: 'refused'; reply: string }
  | { type: 'unsupported'; reply: string };

export function contentOf(message: Message, policy: IngressFilePolicy): MessageContent | undefined {
  for (const [field, name] of UNSUPPORTED) {
    if (field in message) return { type: 'unsupported', reply: texts.notSupported(name) };
  }
  const cap = Math.min(policy.maxBytes, BOT_API_DOWNLOAD_LIMIT);
  const caption = message.caption ?? '';
  const group = message.media_group_id !== undefined ? { mediaGroupId: message.media_group_id } : {};
  if (message.photo && message.photo.length > 0) {
    const size = largestFitting(message.photo, cap);
    if (!size) {
      const smallest = Math.min(...message.photo.map((p) => p.file_size ?? 0));
      return { type: 'refused', reply: texts.fileTooLarge('The photo', smallest, cap) };
    }
    const attachment: TelegramAttachment = {
      kind: 'photo',
      fileId: size.file_id,
      fileUniqueId: size.file_unique_id,
      ...(size.file_size !== undefined ? { size: size.file_size } : {}),
      messageId: message.message_id,
    };
    return { type: 'files', attachments: [attachment], caption, ...group };
  }
  const doc = message.document;
  if (doc) {
    // Shown to the user: sanitised like the stored name (no bidi overrides, controls or paths).
    const label = doc.file_name ? `"${sanitizeFileName(doc.file_name, 'document')}"` : 'The document';
    if (doc.file_size !== undefined && doc.file_size > cap) {
      return { type: 'refused', reply: texts.fileTooLarge(label, doc.file_size, cap) };
    }
    const attachment: TelegramAttachment = {
      kind: 'document',
      fileId: doc.file_id,
      fileUniqueId: doc.file_unique_id,
      ...(doc.file_size !== undefined ? { size: doc.file_size } : {}),
      ...(doc.file_name !== undefined ? { name: doc.file_name } : {}),
      ...(doc.mime_type !== undefined ? { mime: doc.mime_type } : {}),
      messageId: message.message_id,
    };
    return { type: 'files', attachments: [attachment], caption, ...group };
  }
  return undefined;
}

/** The largest size (by pixels) whose declared bytes fit `cap`; a size without one is taken to fit. */
function largestFitting(sizes: readonly PhotoSize[], cap: number): PhotoSize | undefined {
  return [...sizes]
    .sort((a, b) => a.width * a.height - b.width * b.height)
    .filter((s) => (s.file_size ?? 0) <= cap)
    .at(-1);
}
