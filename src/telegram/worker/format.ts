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
  return telegramify(escapeInlineCodeBackslashes(markdown), 'escape').trimEnd();
}

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})/;
// An inline code span (not preceded by a backslash that would make its backtick literal).
const INLINE_CODE_RE = /(?<!\\)(`+)([\s\S]*?[^`])\1(?!`)/g;

/**
 * telegramify-markdown escapes backslashes inside code blocks but not inside inline code, where
 * MarkdownV2 requires `\\`: `cd C:\` then breaks the message and `\d+` loses its backslash.
 * Doubling them in inline code spans (outside fenced blocks) before conversion keeps the text.
 */
export function escapeInlineCodeBackslashes(markdown: string): string {
  const out: string[] = [];
  let prose: string[] = [];
  let fence: string | undefined;
  const flush = (): void => {
    if (prose.length === 0) return;
    out.push(
      prose
        .join('\n')
        .replace(
          INLINE_CODE_RE,
          (_m, ticks: string, code: string) => `${ticks}${code.replaceAll('\\', '\\\\')}${ticks}`,
        ),
    );
    prose = [];
  };
  for (const line of markdown.split('\n')) {
    const marker = FENCE_RE.exec(line)?.[1];
    if (fence !== undefined) {
      out.push(line);
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    } else if (marker !== undefined) {
      flush();
      fence = marker;
      out.push(line);
    } else {
      prose.push(line);
    }
  }
  flush();
  return out.join('\n');
}
