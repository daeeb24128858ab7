import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Bot } from 'grammy';
import type { AppEnv } from '../../config/env.js';
import { systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { createScheduleService } from '../../schedules/service.js';
import { createDynamoClaimStore, createDynamoScheduleStore } from '../../schedules/store/dynamodb.js';
import { probeBotInChat } from '../../telegram/chat-probe.js';
import type { TelegramSchedules } from '../../telegram/ingress/schedule/types.js';
import { buildScheduleSync } from '../schedule-sync.js';

/**
 * `/schedule` in the webhook Lambda: the schedule store and its drafts' claims in the session table
 * (pk = tenant: `sched#…`, `claim#…`), each change synced to EventBridge Scheduler when the
 * environment names its target. A schedule added from Telegram names no agent, so the zip needs no
 * agents.json; the target chat is checked with the tenant's own bot.
 */
export async function ingressSchedules(input: {
  env: AppEnv;
  doc: DynamoDBDocumentClient;
  table: string;
  /** The tenants' bots, filled in once they are built (probed after `init`). */
  bots: ReadonlyMap<string, Bot>;
  logger: Logger;
}): Promise<TelegramSchedules> {
  const { doc, table } = input;
  const { sync } = await buildScheduleSync(input.env, input.logger);
  const service = createScheduleService({
    store: createDynamoScheduleStore({ doc, table }),
    sync,
    clock: systemClock,
    agentsOf: () => [],
    probeChat: async (tenant, chat) => {
      const bot = input.bots.get(tenant);
      return bot ? probeBotInChat(bot.api, bot.botInfo.id, chat) : 'unknown';
    },
  });
  return { service, claims: createDynamoClaimStore({ doc, table, clock: systemClock }) };
}
