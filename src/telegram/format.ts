import telegramify from 'telegramify-markdown';
import { splitMarkdown } from './split.js';

/** Telegram's limit for one message's text. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** One outgoing message: MarkdownV2 to try first, and the plain text to fall back to. */
export interface TelegramChunk {
  markdownV2: string;
  /** The Markdown source of this chunk, sent without parse mode if Telegram rejects the MarkdownV2. */
  plain: string;
}

/**
 * Markdown from the model → Telegram messages. The source is split first (so no entity or code
 * block spans two messages), each piece converted by `telegramify-markdown` (MarkdownV2, escaping
 * unsupported constructs); a piece whose escaped form exceeds the limit is split again.
 */
export function formatForTelegram(markdown: string, limit = TELEGRAM_TEXT_LIMIT): TelegramChunk[] {
  const source = markdown.trim() ? markdown : '';
  if (!source) return [];
  return render(source, Math.floor(limit * 0.85), limit);
}

function render(source: string, budget: number, limit: number): TelegramChunk[] {
  const out: TelegramChunk[] = [];
  for (const piece of splitMarkdown(source, budget)) {
    const markdownV2 = toMarkdownV2(piece);
    if (markdownV2.length <= limit && piece.length <= limit) {
      out.push({ markdownV2, plain: piece });
    } else {
      // Escaping made it too long: split this piece smaller, in proportion.
      const smaller = Math.floor(((budget * limit) / markdownV2.length) * 0.9);
      const next = Math.max(40, Math.min(smaller, budget - 1));
      if (next >= budget) throw new RangeError('[telegram:format] cannot fit a piece into one message');
      out.push(...render(piece, next, limit));
    }
  }
  return out;
}

export function toMarkdownV2(markdown: string): string {
  return telegramify(markdown, 'escape').trimEnd();
}
