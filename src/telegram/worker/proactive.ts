import type { Api } from 'grammy';
import type { TurnResult } from '../../agent/types.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { conversationKeyString } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import { sourceId } from '../../queue/message.js';
import type { AlertWork, Delivery, ProactiveWork, ScheduledWork } from '../../queue/types.js';
import type { ClaimStore } from '../../schedules/claims.js';
import { parseScheduleName } from '../../schedules/spec.js';
import { nextDue } from '../../schedules/timing.js';
import { isActive, type ScheduleRecord, type ScheduleStore } from '../../schedules/types.js';
import { failureText } from './error-text.js';
import {
  notePlace,
  openingOnce,
  recordedNumber,
  recordNumberOnce,
  resolvePlace,
  type RunPlace,
} from './proactive-place.js';
import { proactiveTexts } from './proactive-texts.js';
import { sendPlain } from './reply.js';
import type { RunLive } from './worker.js';

/** The stores a worker needs for scheduled runs and alert investigations (issue 16). */
export interface ProactiveStores {
  schedules: ScheduleStore;
  claims: ClaimStore;
}

export interface ProactiveDeps {
  api: Api;
  stores: ProactiveStores;
  runLive: RunLive;
  /** Permanent vs. retried failures (the worker's rule). */
  isTransient: (err: unknown) => boolean;
  clock: Clock;
  logger: Logger;
}

/** A due time more than this far in the future is not a real run (a forged or mistyped item). */
const MAX_EARLY_MS = 5 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/**
 * Runs scheduled runs and alert investigations on the per-conversation path of a message: the run
 * is a turn in its place's conversation (a topic of its own, the target topic or the chat), under
 * that conversation's lease, with the source's id as the turn-ledger request id — so a run happens
 * at most once per (schedule, due time) or per event, however often it is delivered. The run's
 * opening message (the schedule and its prompt; the alarm's essentials) is sent once, and the
 * answer replies to it; people reply in that place to continue the session.
 *
 * - A schedule that was removed, paused or disabled since the item was sent: nothing runs.
 * - A run that is due no more (a later due time has passed: the previous run was still running,
 *   or the queue was held up) is skipped with a note in its place, at most once an hour.
 * - A tenant over budget gets a notice instead of the run, once per place and UTC day.
 * - A run that fails is told in its place once: turn errors by its answer, other failures after
 *   the queue's last attempt.
 */
export function createProactiveHandler(deps: ProactiveDeps) {
  const { api, stores, clock, logger } = deps;

  /** Sends a note; logs instead of throwing (a note never fails a run). */
  const note = async (place: RunPlace, text: string): Promise<void> => {
    await sendPlain(api, { ...place.target }, text).catch((err: unknown) =>
      logger.error('telegram: could not send a proactive-run note', {
        chatId: place.target.chatId,
        error: errorMessage(err),
      }),
    );
  };

  /** Once per `claimKey` (and its lifetime): sends `text`. */
  const noteOnce = async (
    tenant: ProactiveWork['key']['tenant'],
    claimKey: string,
    ttlMs: number,
    place: RunPlace,
    text: string,
  ): Promise<void> => {
    const { created } = await stores.claims.putIfAbsent(tenant, claimKey, '1', ttlMs);
    if (created) await note(place, text);
  };

  /** Budget refusals become one notice per place and day; every other result is shown as usual. */
  const budgetNotice =
    (tenant: ProactiveWork['key']['tenant'], place: RunPlace, what: string) =>
    async (result: TurnResult): Promise<boolean> => {
      if (result.error_code !== 'budget_exceeded') return false;
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      await noteOnce(
        tenant,
        `budget:${place.target.chatId}:${day}`,
        2 * 24 * HOUR_MS,
        place,
        proactiveTexts.overBudget(what, result.error_message ?? ''),
      );
      return true;
    };

  /**
   * The run itself: its opening message once, then the turn in the place's conversation, its
   * answer a reply to the opening (a budget refusal becomes the day's notice instead).
   */
  const runInPlace = async (run: {
    tenant: ProactiveWork['key']['tenant'];
    place: RunPlace;
    requestId: string;
    opening: string;
    what: string;
    request: Parameters<RunLive>[2];
  }): Promise<void> => {
    const opening = await openingOnce({
      api,
      claims: stores.claims,
      tenant: run.tenant,
      claimKey: `open:${run.requestId}`,
      place: run.place,
      text: run.opening,
    });
    await deps.runLive(
      {
        key: run.place.key,
        requestId: run.requestId,
        intercept: budgetNotice(run.tenant, run.place, run.what),
      },
      { ...run.place.target, replyToMessageId: opening },
      run.request,
    );
  };

  const schedulePlace = (record: ScheduleRecord): Promise<RunPlace> =>
    resolvePlace({
      api,
      tenant: record.tenant,
      target: record.target,
      title: `🕘 ${record.name}`,
      recorded: async () => record.topic,
      record: (topic) => stores.schedules.setTopic(record.tenant, record.name, topic),
      logger,
    });

  const runScheduled = async (message: ScheduledWork, placed: (place: RunPlace) => void): Promise<void> => {
    const { tenant } = message.key;
    const name = parseScheduleName(message.source.schedule);
    const dueAt = Date.parse(message.source.dueAt);
    const log = logger.child({ schedule: name, dueAt: message.source.dueAt, tenant });
    const record = await stores.schedules.get(tenant, name);
    if (!record) return log.info('proactive: the schedule no longer exists; nothing run');
    if (!isActive(record)) return log.info('proactive: the schedule is paused or disabled; nothing run');
    const now = clock.now();
    if (dueAt > now + MAX_EARLY_MS) return log.warn('proactive: run due in the future ignored');
    const next = nextDue(record.timing, record.timezone, dueAt);
    if (next !== null && next <= now) {
      log.warn('proactive: run skipped: a later run is due already', { next: new Date(next).toISOString() });
      // The note goes where runs post, without opening a topic just for it.
      const hour = Math.floor(now / HOUR_MS);
      await noteOnce(
        tenant,
        `sskip:${name}:${hour}`,
        2 * HOUR_MS,
        notePlace(record),
        proactiveTexts.skipped(record, dueAt, next),
      );
      return;
    }
    const place = await schedulePlace(record);
    placed(place);
    log.info('proactive: scheduled run', { conversation: conversationKeyString(place.key) });
    await runInPlace({
      tenant,
      place,
      requestId: sourceId(message.source),
      opening: proactiveTexts.scheduledOpening(record, dueAt),
      what: proactiveTexts.scheduledWhat(record),
      request: {
        text: record.prompt,
        messageTime: new Date(dueAt),
        requestedBy: `schedule:${name}`,
        ...(record.model !== undefined ? { model: record.model } : {}),
        ...(record.agent !== undefined ? { agent: record.agent } : {}),
      },
    });
  };

  const runAlert = async (message: AlertWork, placed: (place: RunPlace) => void): Promise<void> => {
    const { tenant } = message.key;
    const { alert } = message;
    const requestId = sourceId(message.source);
    const topicKey = `etopic:${message.source.eventId}`;
    const place = await resolvePlace({
      api,
      tenant,
      target: alert.target,
      title: `🚨 ${alert.title}`,
      recorded: () => recordedNumber(stores.claims, tenant, topicKey),
      record: (topic) => recordNumberOnce(stores.claims, tenant, topicKey, topic),
      logger,
    });
    placed(place);
    logger.info('proactive: alert investigation', {
      route: message.source.route,
      eventId: message.source.eventId,
      conversation: conversationKeyString(place.key),
    });
    await runInPlace({
      tenant,
      place,
      requestId,
      opening: proactiveTexts.alertOpening(alert),
      what: proactiveTexts.alertWhat(alert),
      request: {
        text: alert.prompt,
        messageTime: new Date(alert.occurredAt),
        requestedBy: `event:${message.source.route}`,
        ...(alert.model !== undefined ? { model: alert.model } : {}),
      },
    });
  };

  return async (message: ProactiveWork, delivery: Delivery): Promise<void> => {
    let place: RunPlace | undefined;
    const placed = (p: RunPlace) => {
      place = p;
    };
    try {
      if (message.kind === 'scheduled') await runScheduled(message, placed);
      else await runAlert(message, placed);
    } catch (err) {
      const transient = deps.isTransient(err);
      const last = delivery.receiveCount >= delivery.maxReceives;
      logger.error('telegram: proactive run failed', {
        lane: conversationKeyString(message.key),
        kind: message.kind,
        receiveCount: delivery.receiveCount,
        transient,
        error: errorMessage(err),
      });
      if (transient && !last) throw err;
      if (place) await note(place, proactiveTexts.failed(message, failureText(err)));
      if (transient) throw err; // last receive: let it reach the dead-letter queue
    }
  };
}
