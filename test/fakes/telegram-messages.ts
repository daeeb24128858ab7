import { apiError } from './telegram-errors.js';

/** One message the bot sent, as the chat shows it now. */
export interface StoredMessage {
  chatId: number;
  messageId: number;
  text: string;
  replyMarkup?: unknown;
  /** Parse mode and entities: part of "is it modified?". */
  format: string;
  deleted: boolean;
}

type Params = Record<string, unknown>;

/** An empty inline keyboard removes the keyboard: stored as none. */
function markupOf(p: Params): unknown {
  const markup = p.reply_markup as { inline_keyboard?: unknown[] } | undefined;
  return markup?.inline_keyboard?.length === 0 ? undefined : markup;
}

/**
 * The bot's messages per chat, so edits and deletions answer with Telegram's real 400s: an
 * unknown or deleted message is "not found", an identical edit is "not modified", and an edit
 * without `reply_markup` removes the inline keyboard (as Telegram does).
 */
export interface MessageStore {
  sent(params: Params, messageId: number, text: string): void;
  /** Messages of a chat in send order (deleted ones flagged). */
  of(chatId: number): StoredMessage[];
  /** The user deletes a message (later edits get "message to edit not found"). */
  deleteByUser(chatId: number, messageId: number): void;
  /** Method implementations: editMessageText, editMessageReplyMarkup, deleteMessage, sendMessageDraft… */
  methods(checkText: (params: Params, text: string) => void): Record<string, (p: Params) => unknown>;
}

const NOT_MODIFIED =
  'Bad Request: message is not modified: specified new message content and reply markup are exactly ' +
  'the same as a current content and reply markup of the message';

export function createMessageStore(): MessageStore {
  const messages = new Map<string, StoredMessage>();
  const key = (chatId: unknown, messageId: unknown): string => `${Number(chatId)}:${Number(messageId)}`;
  const format = (p: Params): string => JSON.stringify([p.parse_mode ?? null, p.entities ?? null]);
  const find = (p: Params, action: 'edit' | 'delete'): StoredMessage => {
    const m = messages.get(key(p.chat_id, p.message_id));
    if (!m || m.deleted) throw apiError(400, `Bad Request: message to ${action} not found`);
    return m;
  };
  return {
    sent(p, messageId, text) {
      const chatId = Number(p.chat_id);
      messages.set(key(chatId, messageId), {
        chatId,
        messageId,
        text,
        ...(markupOf(p) !== undefined ? { replyMarkup: markupOf(p) } : {}),
        format: format(p),
        deleted: false,
      });
    },
    of: (chatId) => [...messages.values()].filter((m) => m.chatId === chatId),
    deleteByUser(chatId, messageId) {
      const m = messages.get(key(chatId, messageId));
      if (m) m.deleted = true;
    },
    methods: (checkText) => ({
      editMessageText: (p) => {
        const m = find(p, 'edit');
        const text = typeof p.text === 'string' ? p.text : '';
        if (!text.trim()) throw apiError(400, 'Bad Request: message text is empty');
        if (text.length > 4096) throw apiError(400, 'Bad Request: MESSAGE_TOO_LONG');
        checkText(p, text);
        const markup = JSON.stringify(markupOf(p) ?? null);
        if (m.text === text && m.format === format(p) && JSON.stringify(m.replyMarkup ?? null) === markup) {
          throw apiError(400, NOT_MODIFIED);
        }
        m.text = text;
        m.format = format(p);
        if (markupOf(p) !== undefined) m.replyMarkup = markupOf(p);
        else delete m.replyMarkup;
        return { message_id: m.messageId, chat: { id: m.chatId }, date: Math.floor(Date.now() / 1000), text };
      },
      editMessageReplyMarkup: (p) => {
        const m = find(p, 'edit');
        if (JSON.stringify(m.replyMarkup ?? null) === JSON.stringify(markupOf(p) ?? null)) {
          throw apiError(400, NOT_MODIFIED);
        }
        if (markupOf(p) !== undefined) m.replyMarkup = markupOf(p);
        else delete m.replyMarkup;
        return {
          message_id: m.messageId,
          chat: { id: m.chatId },
          date: Math.floor(Date.now() / 1000),
          text: m.text,
        };
      },
      deleteMessage: (p) => {
        find(p, 'delete').deleted = true;
        return true;
      },
      // Drafts are ephemeral: recorded as calls, not stored. The wording of these two refusals is
      // our approximation; Telegram only documents that drafts are for private chats.
      sendMessageDraft: (p) => {
        if (Number(p.chat_id) <= 0) throw apiError(400, 'Bad Request: TEXTDRAFT_PEER_INVALID');
        if (!Number(p.draft_id)) throw apiError(400, 'Bad Request: DRAFT_ID_INVALID');
        const text = typeof p.text === 'string' ? p.text : '';
        if (text.length > 4096) throw apiError(400, 'Bad Request: TEXT_TOO_LONG');
        if (text) checkText(p, text);
        return true;
      },
      // Reactions go on the user's messages, which the fake does not store: any id is accepted.
      setMessageReaction: (p) => {
        if (p.chat_id === undefined || p.message_id === undefined)
          throw apiError(400, 'Bad Request: message to react not found');
        return true;
      },
      answerCallbackQuery: (p) => {
        if (typeof p.callback_query_id !== 'string' || p.callback_query_id === '')
          throw apiError(
            400,
            'Bad Request: query is too old and response timeout expired or query ID is invalid',
          );
        return true;
      },
    }),
  };
}
