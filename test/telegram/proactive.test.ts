import { Api } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnRequest } from '../../src/agent/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { OmniError } from '../../src/core/errors.js';
import { parseTenantId } from '../../src/core/ids.js';
import { conversationKeyString } from '../../src/core/keys.js';
import { decodeQueuedMessage, encodeQueuedMessage } from '../../src/queue/message.js';
import type { AlertWork, Delivery, QueuedMessage } from '../../src/queue/types.js';
import { parseScheduleSpec } from '../../src/schedules/spec.js';
import { createMemoryClaimStore, createMemoryScheduleStore } from '../../src/schedules/store/memory.js';
import type { ScheduleRecord, ScheduleStore } from '../../src/schedules/types.js';
import { scheduledWork } from '../../src/schedules/work.js';
import type { ClaimStore } from '../../src/schedules/claims.js';
import { createTelegramWorker } from '../../src/telegram/worker/worker.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { createFakeRunner, type FakeRunner } from './fake-runner.js';
import { FORUM, PLAIN_GROUP } from './updates.js';

/**
 * Scheduled runs and alert investigations in the worker, against the fake Bot API with a scripted
 * runner (the end-to-end suite runs them with the real binary): where a run posts, what is sent
 * once across re-deliveries, and the skip, budget and failure rules.
 */
const TENANT = parseTenantId('default');
const DUE = Date.UTC(2026, 11, 2, 8, 0); // Wed 2 Dec 2026 09:00 in Berlin
const FIRST: Delivery = { receiveCount: 1, maxReceives: 5 };
const LAST: Delivery = { receiveCount: 5, maxReceives: 5 };

describe('proactive runs in the Telegram worker', () => {
  let api: FakeTelegramApi;
  let runner: FakeRunner;
  let schedules: ScheduleStore;
  let claims: ClaimStore;
  let clock: ManualClock;
  let requests: TurnRequest[];
  let handle: (message: QueuedMessage, delivery?: Delivery) => Promise<void>;

  beforeEach(async () => {
    api = await startFakeTelegramApi();
    api.setChat(FORUM);
    api.setChat(PLAIN_GROUP);
    clock = new ManualClock(DUE + 2_000);
    schedules = createMemoryScheduleStore();
    claims = createMemoryClaimStore({ clock });
    runner = createFakeRunner();
    runner.deliverUnderLease = true;
    requests = [];
    runner.respond = (request) => {
      requests.push(request);
      return { response: `findings for: ${request.text}` };
    };
    const worker = createTelegramWorker({
      api: new Api(api.token, { apiRoot: api.apiRoot }),
      runner,
      live: { enabled: false },
      proactive: { schedules, claims },
      clock,
      typingIntervalMs: 50,
    });
    handle = (message, delivery = FIRST) =>
      worker(decodeQueuedMessage(encodeQueuedMessage(message)), delivery);
  });
  afterEach(async () => {
    await api.close();
  });

  const schedule = async (fields: Record<string, unknown> = {}): Promise<ScheduleRecord> => {
    const spec = parseScheduleSpec({
      name: 'morning',
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin',
      prompt: 'Summarise last night’s alarms',
      target: { chat: FORUM.id, thread: 'new' },
      ...fields,
    });
    return schedules.put({
      ...spec,
      tenant: TENANT,
      origin: 'runtime',
      paused: false,
      createdBy: 'tg:111',
      createdAt: DUE - 86_400_000,
      updatedAt: DUE - 86_400_000,
      version: 0,
    });
  };

  it('runs a due schedule in a topic of its own, opening once, answering once per delivery', async () => {
    const record = await schedule({ model: 'haiku' });
    const item = scheduledWork(record, DUE);
    await handle(item);
    await handle(item); // a re-delivery: the topic and the opening message are not made again

    const topics = api.callsTo('createForumTopic');
    expect(topics).toHaveLength(1);
    expect(topics[0]?.params.name).toBe('🕘 morning');
    const topic = (await schedules.get(TENANT, record.name))?.topic;
    expect(topic).toBeTypeOf('number');

    const inTopic = api.sentTexts({ chatId: FORUM.id, threadId: topic! });
    expect(inTopic.filter((t) => t.startsWith('🕘 Scheduled run "morning"'))).toHaveLength(1);
    expect(inTopic[0]).toContain('Wed 2 Dec, 09:00 (Europe/Berlin)');
    expect(inTopic[0]).toContain('Summarise last night’s alarms');

    // The turn runs in the topic's conversation with the run's ledger id (the real runner answers a
    // repeat from its ledger; this scripted one runs it again, which shows the id is the same).
    expect(requests.map((r) => conversationKeyString(r.key))).toEqual([
      `default:${FORUM.id}:${topic}`,
      `default:${FORUM.id}:${topic}`,
    ]);
    expect(new Set(requests.map((r) => r.requestId))).toEqual(new Set([`sch:morning:${DUE}`]));
    expect(requests[0]?.model).toBe('haiku');
    expect(requests[0]?.requestedBy).toBe('schedule:morning');
    expect(requests[0]?.messageTime?.getTime()).toBe(DUE);

    // The answer replies to the opening message.
    const opening = api.callsTo('sendMessage').find((c) => String(c.params.text).startsWith('🕘'));
    const answer = api.callsTo('sendMessage').find((c) => String(c.params.text).includes('findings for'));
    const openingId = api.messages(FORUM.id).find((m) => m.text.startsWith('🕘'))?.messageId;
    expect(opening).toBeDefined();
    expect(answer?.params.message_thread_id).toBe(topic);
    expect((answer?.params.reply_parameters as { message_id: number }).message_id).toBe(openingId);
  });

  it('posts in the target topic, or in the chat itself, without creating topics', async () => {
    const inTopic = await schedule({ name: 'in-topic', target: { chat: FORUM.id, thread: 77 } });
    const inChat = await schedule({ name: 'in-chat', target: { chat: PLAIN_GROUP.id } });
    await handle(scheduledWork(inTopic, DUE));
    await handle(scheduledWork(inChat, DUE));
    expect(api.callsTo('createForumTopic')).toHaveLength(0);
    expect(requests.map((r) => conversationKeyString(r.key))).toEqual([
      `default:${FORUM.id}:77`,
      `default:${PLAIN_GROUP.id}:main`,
    ]);
  });

  it('falls back to the chat when a topic cannot be opened there', async () => {
    const record = await schedule({ target: { chat: PLAIN_GROUP.id, thread: 'new' } });
    await handle(scheduledWork(record, DUE));
    expect(requests.map((r) => conversationKeyString(r.key))).toEqual([`default:${PLAIN_GROUP.id}:main`]);
    expect(api.sentTexts({ chatId: PLAIN_GROUP.id }).some((t) => t.includes('findings for'))).toBe(true);
  });

  it('runs nothing for a removed, paused or disabled schedule, or a due time in the future', async () => {
    const paused = await schedule({ name: 'paused' });
    await schedules.put({ ...paused, paused: true });
    const disabled = await schedule({ name: 'disabled', enabled: false });
    const future = await schedule({ name: 'future' });
    await handle(scheduledWork(paused, DUE));
    await handle(scheduledWork(disabled, DUE));
    await handle(scheduledWork({ tenant: TENANT, name: 'gone' as never, target: { chat: FORUM.id } }, DUE));
    await handle(scheduledWork(future, clock.now() + 60 * 60_000));
    expect(requests).toHaveLength(0);
    expect(api.callsTo('sendMessage')).toHaveLength(0);
  });

  it('skips a run that a later due time overtook, with one note an hour', async () => {
    const record = await schedule({ cron: '*/10 * * * *', target: { chat: FORUM.id, thread: 77 } });
    clock.set(DUE + 25 * 60_000); // two more due times have passed: the 09:00 run is stale
    await handle(scheduledWork(record, DUE));
    await handle(scheduledWork(record, DUE + 10 * 60_000));
    expect(requests).toHaveLength(0);
    const notes = api.sentTexts({ chatId: FORUM.id, threadId: 77 });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^⏭ Skipped the run of "morning" due Wed 2 Dec, 09:00/);
    await handle(scheduledWork(record, DUE + 20 * 60_000)); // the current one runs
    expect(requests).toHaveLength(1);
  });

  it('posts the skip note of a schedule without its topic yet in the chat, opening no topic for it', async () => {
    const record = await schedule({ cron: '*/10 * * * *' }); // thread: new, no run yet
    clock.set(DUE + 25 * 60_000);
    await handle(scheduledWork(record, DUE));
    expect(api.callsTo('createForumTopic')).toHaveLength(0);
    const note = api.callsTo('sendMessage')[0];
    expect(String(note?.params.text)).toMatch(/^⏭ Skipped the run of "morning"/);
    expect(note?.params.message_thread_id).toBeUndefined();
  });

  it('turns a budget refusal into one notice a day instead of a run', async () => {
    runner.respond = (request) => {
      requests.push(request);
      return {
        is_error: true,
        error_code: 'budget_exceeded',
        error_message: 'tenant day budget $1.00 used',
        response: '',
      };
    };
    const record = await schedule({ cron: '*/10 * * * *', target: { chat: FORUM.id, thread: 77 } });
    await handle(scheduledWork(record, DUE));
    clock.advance(10 * 60_000);
    await handle(scheduledWork(record, DUE + 10 * 60_000));
    const texts = api.sentTexts({ chatId: FORUM.id, threadId: 77 });
    const notices = texts.filter((t) => t.startsWith('💸'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('the scheduled run "morning" did not run (tenant day budget $1.00 used)');
    expect(texts.some((t) => t.includes('budget_exceeded'))).toBe(false);
  });

  it('tells the place once when a run fails for good, and lets the queue retry before that', async () => {
    const record = await schedule({ target: { chat: FORUM.id, thread: 77 } });
    runner.respond = () => {
      throw new OmniError('storage_error', 'the store is down', { status: 503 });
    };
    const item = scheduledWork(record, DUE);
    await expect(handle(item, FIRST)).rejects.toThrow('the store is down');
    expect(api.sentTexts().filter((t) => t.startsWith('⚠️'))).toHaveLength(0);
    await expect(handle(item, LAST)).rejects.toThrow('the store is down');
    const failures = api.sentTexts({ chatId: FORUM.id, threadId: 77 }).filter((t) => t.startsWith('⚠️'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('The scheduled run "morning" due 2026-12-02T08:00:00Z failed.');
  });

  it('investigates an alert in a new topic: essentials first, findings as a reply, once per event', async () => {
    const alert: AlertWork = {
      kind: 'alert',
      key: { tenant: TENANT, chat: String(FORUM.id), thread: 'alert-prod' } as AlertWork['key'],
      source: { type: 'event', route: 'prod', eventId: 'a'.repeat(32) },
      alert: {
        title: 'prod-api-5xx is ALARM',
        essentials: ['Reason: Threshold Crossed: 1 datapoint [12.0] > 5.0', 'Region: eu-west-1'],
        prompt: 'Investigate the alarm prod-api-5xx.',
        target: { chat: FORUM.id, thread: 'new' },
        occurredAt: DUE,
        model: 'sonnet',
      },
    };
    await handle(alert);
    await handle(alert);
    expect(api.callsTo('createForumTopic').map((c) => c.params.name)).toEqual(['🚨 prod-api-5xx is ALARM']);
    const topic =
      api.callsTo('createForumTopic').length && api.callsTo('sendMessage')[0]?.params.message_thread_id;
    const inTopic = api.sentTexts({ chatId: FORUM.id, threadId: topic as number });
    expect(inTopic[0]).toBe(
      [
        '🚨 prod-api-5xx is ALARM',
        'Reason: Threshold Crossed: 1 datapoint [12.0] > 5.0',
        'Region: eu-west-1',
        '',
        'Investigating… Reply in this thread to ask follow-up questions.',
      ].join('\n'),
    );
    expect(inTopic.filter((t) => t.startsWith('🚨'))).toHaveLength(1);
    expect(new Set(requests.map((r) => conversationKeyString(r.key)))).toEqual(
      new Set([`default:${FORUM.id}:${topic}`]),
    );
    expect(requests[0]).toMatchObject({
      text: 'Investigate the alarm prod-api-5xx.',
      requestId: `ev:${'a'.repeat(32)}`,
      model: 'sonnet',
      requestedBy: 'event:prod',
    });
  });

  it('refuses a proactive item in a worker without the stores', async () => {
    const worker = createTelegramWorker({
      api: new Api(api.token, { apiRoot: api.apiRoot }),
      runner,
      live: { enabled: false },
    });
    const record = await schedule();
    await expect(worker(scheduledWork(record, DUE), FIRST)).rejects.toThrow(
      'a scheduled run reached a worker without schedules and events configured',
    );
  });
});
