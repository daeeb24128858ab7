import type { Hono } from 'hono';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import { eventRoutes } from '../events/index.js';
import type { ConversationQueue } from '../queue/types.js';
import { createLocalScheduler, type LocalScheduler } from '../schedules/local-scheduler.js';
import { reconcileConfigSchedules } from '../schedules/reconcile.js';
import { createScheduleService, type ScheduleService } from '../schedules/service.js';
import { localSync } from '../schedules/sync.js';
import type { ScheduleRecord } from '../schedules/types.js';
import { probeBotInChat } from '../telegram/chat-probe.js';
import { notePlace } from '../telegram/worker/proactive-place.js';
import { sendPlain } from '../telegram/worker/reply.js';
import type { TelegramService } from '../telegram/index.js';
import { assertEventTokens, eventTenantLookup } from './event-tenants.js';
import { agentConfigsOf, agentNamesOf } from './proactive.js';
import type { AppDeps } from './types.js';

/**
 * Scheduled runs and alerts on one machine (`npm start` with bots): the schedule service the bots'
 * `/schedule` uses, `schedules.yaml` reconciled into the store at start, the in-process scheduler,
 * and `POST /v1/events/:tenant` on the local HTTP server. Runs and alerts go onto the tenant's own
 * in-process queue, so they take the path of a message.
 */
export interface LocalProactive {
  readonly service: ScheduleService;
  /** Whether any tenant takes events (then the local HTTP server is started for them). */
  readonly events: boolean;
  /** Starts the scheduler once the bots exist (runs and notes go through them). */
  start(services: ReadonlyMap<TenantId, TelegramService>): Promise<void>;
  /** Mounts `/v1/events` on the local HTTP server. */
  mountEvents<A extends Hono>(app: A): A;
  stop(): Promise<void>;
}

export function createLocalProactive(app: AppDeps): LocalProactive {
  const log = app.logger.child({ component: 'proactive' });
  let services: ReadonlyMap<TenantId, TelegramService> = new Map();
  let scheduler: LocalScheduler | undefined;
  const configOf = agentConfigsOf(app);

  const service = createScheduleService({
    store: app.storage.schedules,
    sync: localSync,
    clock: systemClock,
    agentsOf: agentNamesOf(configOf),
    probeChat: async (tenant, chat) => {
      const bot = services.get(tenant)?.bot;
      if (!bot) return 'unknown';
      await bot.init();
      return probeBotInChat(bot.api, bot.botInfo.id, chat);
    },
  });

  /** Runs and alerts go to their tenant's in-process queue. */
  const queue: ConversationQueue = {
    async enqueue(message) {
      const target = services.get(message.key.tenant);
      if (!target) throw new Error(`[proactive] tenant ${message.key.tenant} has no bot in this process`);
      await target.queue.enqueue(message);
    },
  };

  /** A missed-run report, where the schedule's notes go (through the tenant's bot). */
  const notify = async (record: ScheduleRecord, text: string): Promise<void> => {
    const bot = services.get(record.tenant)?.bot;
    if (bot) await sendPlain(bot.api, notePlace(record).target, text);
  };

  assertEventTokens(app.env, app.tenants);
  const events = [...app.tenants.tenants.values()].some((t) => (t.secrets.eventTokens ?? []).length > 0);

  return {
    service,
    events,
    async start(running) {
      services = running;
      for (const tenant of running.keys()) {
        try {
          const summary = await reconcileConfigSchedules({
            tenant,
            specs: (await configOf(tenant)).schedules,
            store: app.storage.schedules,
            sync: localSync,
            clock: systemClock,
          });
          const changed = summary.created.length + summary.updated.length + summary.removed.length;
          if (changed > 0 || summary.conflicts.length > 0)
            log.info('schedules.yaml applied', { tenant, ...summary });
        } catch (err) {
          log.error('schedules.yaml could not be applied', { tenant, error: errorMessage(err) });
        }
      }
      scheduler = createLocalScheduler({
        store: app.storage.schedules,
        tenants: [...running.keys()],
        queue,
        clock: systemClock,
        notify,
        logger: log,
      });
      scheduler.start();
    },
    mountEvents(http) {
      http.route(
        '/v1/events',
        eventRoutes({
          tenants: eventTenantLookup(app.tenants, configOf),
          claims: app.storage.claims,
          queue,
          logger: log.child({ component: 'events' }),
        }),
      );
      return http;
    },
    async stop() {
      await scheduler?.stop();
    },
  };
}
