import { GrammyError, type Api } from 'grammy';
import { errorMessage } from '../../core/errors.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import type { TenantId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { ClaimStore } from '../../schedules/claims.js';
import type { ProactiveTarget } from '../../queue/types.js';
import type { ScheduleRecord } from '../../schedules/types.js';
import type { ReplyTarget } from './reply.js';
import { topicName } from '../topic-name.js';

/** Where a proactive run posts and whose conversation (session, lease, ledger) it continues. */
export interface RunPlace {
  key: ConversationKey;
  target: ReplyTarget;
}

/** Proactive records live this long (headers, topics of alerts): well past any queue re-delivery. */
export const PROACTIVE_RECORD_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Creates a forum topic; null when the chat cannot have one here (not a forum, or the bot may not
 * manage topics: Telegram answers 400), so the caller posts in the chat itself instead.
 */
export async function openTopic(
  api: Api,
  chat: number,
  title: string,
  logger: Logger,
): Promise<number | null> {
  try {
    return (await api.createForumTopic(chat, topicName(title, 120, 'Run'))).message_thread_id;
  } catch (err) {
    if (err instanceof GrammyError && err.error_code === 400) {
      logger.warn('telegram: could not open a topic for a proactive run; posting in the chat', {
        chatId: chat,
        error: errorMessage(err),
      });
      return null;
    }
    throw err;
  }
}

/** The place of a target whose topic (if any) is known: a topic, or the chat itself. */
export function placeOf(tenant: TenantId, chat: number, thread: number | undefined): RunPlace {
  return {
    key: conversationKey({ tenant, chat, thread }),
    target: { chatId: chat, ...(thread !== undefined ? { threadId: thread } : {}) },
  };
}

/**
 * The place of a target: its topic, the chat, or for `thread: 'new'` the topic recorded for it
 * (`recorded`/`record`: the first writer's topic wins, so two containers racing on one run end up
 * in the same topic — the loser's empty topic is deleted).
 */
export async function resolvePlace(input: {
  api: Api;
  tenant: TenantId;
  target: ProactiveTarget;
  title: string;
  recorded: () => Promise<number | undefined>;
  record: (topic: number) => Promise<number | null>;
  logger: Logger;
}): Promise<RunPlace> {
  const { api, tenant, target, logger } = input;
  if (target.thread !== 'new') return placeOf(tenant, target.chat, target.thread);
  const known = await input.recorded();
  if (known !== undefined) return placeOf(tenant, target.chat, known);
  const created = await openTopic(api, target.chat, input.title, logger);
  if (created === null) return placeOf(tenant, target.chat, undefined);
  const kept = (await input.record(created)) ?? created;
  if (kept !== created) {
    await api
      .deleteForumTopic(target.chat, created)
      .catch((err: unknown) =>
        logger.warn('telegram: could not delete a duplicate topic', { error: errorMessage(err) }),
      );
  }
  return placeOf(tenant, target.chat, kept);
}

/** A number recorded under `key` (a topic or message id), or undefined. */
export async function recordedNumber(
  claims: ClaimStore,
  tenant: TenantId,
  key: string,
): Promise<number | undefined> {
  const value = await claims.get(tenant, key);
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Records `n` under `key` unless a number is recorded already; returns the one recorded (the first writer's). */
export async function recordNumberOnce(
  claims: ClaimStore,
  tenant: TenantId,
  key: string,
  n: number,
): Promise<number> {
  return Number((await claims.putIfAbsent(tenant, key, String(n), PROACTIVE_RECORD_TTL_MS)).value);
}

/** Where a schedule's notes go: its target topic, its own topic once made, else the chat itself. */
export function notePlace(record: Pick<ScheduleRecord, 'tenant' | 'target' | 'topic'>): RunPlace {
  const thread = typeof record.target.thread === 'number' ? record.target.thread : record.topic;
  return placeOf(record.tenant, record.target.chat, thread);
}

/**
 * Sends a run's opening message once (a re-delivery finds its id recorded under `claimKey`) and
 * returns its id, so the answer replies to it.
 */
export async function openingOnce(input: {
  api: Api;
  claims: ClaimStore;
  tenant: TenantId;
  claimKey: string;
  place: RunPlace;
  text: string;
}): Promise<number> {
  const { api, claims, tenant, claimKey, place } = input;
  const known = await recordedNumber(claims, tenant, claimKey);
  if (known !== undefined) return known;
  const sent = await api.sendMessage(place.target.chatId, input.text, {
    ...(place.target.threadId !== undefined ? { message_thread_id: place.target.threadId } : {}),
    link_preview_options: { is_disabled: true },
  });
  return recordNumberOnce(claims, tenant, claimKey, sent.message_id);
}
