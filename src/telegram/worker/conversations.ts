import type { Api } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import type { ApprovalId } from '../../approvals/types.js';
import type { Clock } from '../../core/clock.js';
import { OmniError, errorMessage } from '../../core/errors.js';
import { conversationKeyString, type ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { SessionsWork, SettingWork, SwitchWork } from '../../queue/types.js';
import { sessionButtonData } from '../session-data.js';
import {
  agentSetText,
  agentText,
  conversationTexts as texts,
  debugSettingsText,
  modelSetText,
  modelText,
  sessionLine,
  unknownAgentText,
  unknownModelText,
} from './conversation-texts.js';
import type { ReplyTarget } from './reply.js';
import type { ConversationControl, SessionsPage } from './types.js';

export interface ConversationCommandsDeps {
  api: Api;
  /** Without it every command says it is not available here. */
  conversations?: ConversationControl | undefined;
  /** Sends a plain status reply; `false` if it could not be sent (logged by the caller). */
  notify: (target: ReplyTarget, text: string) => Promise<boolean>;
  /** Updates the message of an approval request the switch cancelled. */
  showCancelled?: ((key: ConversationKey, id: ApprovalId, by: string) => Promise<void>) | undefined;
  clock: Clock;
  logger: Logger;
}

/** Refusals of `ConversationControl` (nothing changed) with their own replies. */
const REFUSALS = [
  'session_not_found',
  'session_expired',
  'session_history_missing',
  'unknown_model',
  'unknown_agent',
  'invalid_id',
] as const;
type Refusal = (typeof REFUSALS)[number];

function refusalOf(err: unknown): Refusal | undefined {
  if (!(err instanceof OmniError) || err.status >= 500) return undefined;
  return (REFUSALS as readonly string[]).includes(err.code) ? (err.code as Refusal) : undefined;
}

/** Characters the session lines may take in one message (4096, less the header and hints). */
const LIST_BUDGET = 3600;

/** The `/sessions` list as text and one button per session that can be continued and is not current. */
export function sessionsMessage(
  page: SessionsPage,
  now: number,
): { text: string; keyboard: InlineKeyboardButton.CallbackButton[][] } {
  if (page.sessions.length === 0) return { text: texts.sessionsNone, keyboard: [] };
  // Titles are cut shorter when long ones (or wide characters) would not fit one message.
  const listed = (titleMax: number): string[] => {
    let index = 0;
    return page.sessions.map((s) => sessionLine(s, s.current ? 0 : ++index, now, titleMax));
  };
  const full = listed(100);
  const lines = [texts.sessionsHeader, '', ...(full.join('\n').length > LIST_BUDGET ? listed(40) : full)];
  const keyboard = page.sessions
    .filter((s) => !s.current && s.history === 'available')
    .map((s) => [{ text: texts.switchButton(s), callback_data: sessionButtonData(s.sessionId) }]);
  lines.push('');
  if (page.current === null) lines.push(texts.sessionsFresh);
  lines.push(keyboard.length ? texts.sessionsHint : texts.sessionsNoneSwitchable);
  return { text: lines.join('\n'), keyboard };
}

/**
 * The worker's side of conversation management (issue 17): `/sessions` (a list with switch
 * buttons), a button's switch, `/model` and `/agent`, and `/debug`'s settings part. Every change
 * goes through `ConversationControl`, under the conversation's lease; a refusal is answered and
 * acknowledged (nothing changed), anything else is thrown to the worker (a busy conversation is
 * retried by the queue).
 */
export function createConversationCommands(deps: ConversationCommandsDeps) {
  const { api, notify, logger } = deps;
  const control = deps.conversations;

  const sendList = async (key: ConversationKey, target: ReplyTarget, limit?: number): Promise<void> => {
    if (!control) return void (await notify(target, texts.unavailable));
    const page = await control.sessions(key, limit === undefined ? {} : { limit });
    const { text, keyboard } = sessionsMessage(page, deps.clock.now());
    await api.sendMessage(target.chatId, text, {
      ...(target.threadId !== undefined ? { message_thread_id: target.threadId } : {}),
      ...(target.replyToMessageId !== undefined
        ? { reply_parameters: { message_id: target.replyToMessageId, allow_sending_without_reply: true } }
        : {}),
      link_preview_options: { is_disabled: true },
      ...(keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {}),
    });
  };

  /** The list the button was on, shown again with the new current session (best effort: logged). */
  const refreshList = async (key: ConversationKey, target: ReplyTarget): Promise<void> => {
    if (!control || target.replyToMessageId === undefined) return;
    try {
      const { text, keyboard } = sessionsMessage(await control.sessions(key), deps.clock.now());
      await api.editMessageText(target.chatId, target.replyToMessageId, text, {
        link_preview_options: { is_disabled: true },
        reply_markup: { inline_keyboard: keyboard },
      });
    } catch (err) {
      logger.warn('telegram: could not refresh the /sessions list', {
        conversation: conversationKeyString(key),
        error: errorMessage(err),
      });
    }
  };

  const switchSession = async (message: SwitchWork, target: ReplyTarget): Promise<void> => {
    if (!control) return void (await notify(target, texts.unavailable));
    const by = message.source.userId === undefined ? undefined : String(message.source.userId);
    let outcome;
    try {
      outcome = await control.switchTo(message.key, message.sessionId, by);
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal === undefined) throw err;
      logger.info('telegram: session switch refused', {
        conversation: conversationKeyString(message.key),
        session_id: message.sessionId,
        code: refusal,
      });
      return void (await notify(target, switchRefusalText(refusal)));
    }
    if (outcome.unchanged) return void (await notify(target, texts.switchUnchanged(outcome.session)));
    await notify(target, texts.switched(outcome.session));
    if (outcome.cancelledApproval)
      await deps.showCancelled?.(message.key, outcome.cancelledApproval, '/sessions');
    await refreshList(message.key, target);
  };

  const setting = async (message: SettingWork, target: ReplyTarget): Promise<void> => {
    if (!control) return void (await notify(target, texts.unavailable));
    const { field, value } = message;
    const show = field === 'model' ? modelText : agentText;
    if (value === undefined) return void (await notify(target, show(await control.settings(message.key))));
    try {
      const info = await control.configure(message.key, { [field]: value });
      logger.info('telegram: conversation setting changed', {
        conversation: conversationKeyString(message.key),
        field,
        value,
      });
      await notify(target, field === 'model' ? modelSetText(info) : agentSetText(info));
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal !== 'unknown_model' && refusal !== 'unknown_agent') throw err;
      const info = await control.settings(message.key);
      const name = value ?? '';
      await notify(
        target,
        refusal === 'unknown_model' ? unknownModelText(name, info) : unknownAgentText(name, info),
      );
    }
  };

  /** `/debug`'s settings part; a failed read is said, never thrown (the rest of `/debug` follows). */
  const debugText = async (key: ConversationKey): Promise<string | undefined> => {
    if (!control) return undefined;
    try {
      const [info, page] = await Promise.all([control.settings(key), control.sessions(key, { limit: 1 })]);
      return debugSettingsText(
        info,
        page.sessions.find((s) => s.current),
      );
    } catch (err) {
      logger.warn('telegram: could not read the settings for /debug', { error: errorMessage(err) });
      return texts.settingsUnreadable;
    }
  };

  return {
    listSessions: (message: SessionsWork, target: ReplyTarget) =>
      sendList(message.key, target, message.limit),
    switchSession,
    setting,
    debugText,
  };
}

function switchRefusalText(code: Refusal): string {
  switch (code) {
    case 'session_expired':
      return texts.switchExpired;
    case 'session_history_missing':
      return texts.switchMissing;
    case 'invalid_id':
      return texts.switchInvalid;
    case 'session_not_found':
    case 'unknown_model':
    case 'unknown_agent':
      return texts.switchNotFound;
  }
}
