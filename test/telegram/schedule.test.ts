import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import type { QueuedMessage } from '../../src/queue/types.js';
import {
  createScheduleService,
  type ScheduleName,
  type ScheduleRecord,
  type ScheduleStore,
  type ScheduleSync,
} from '../../src/schedules/index.js';
import { createMemoryClaimStore, createMemoryScheduleStore } from '../../src/schedules/store/memory.js';
import type { AccessPolicy } from '../../src/telegram/config.js';
import { scheduleTexts } from '../../src/telegram/ingress/schedule/texts.js';
import type { StoredMessage } from '../fakes/telegram-api.js';
import { createFakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { FORUM, STRANGER, USER, generalText, press, privateText, topicText } from './updates.js';

/**
 * `/schedule` through the webhook, the real ingress and the fake Bot API, with the memory schedule
 * and claim stores: a draft lives only in the claim store (as on Lambda, where the tap may reach
 * another container), and Save writes through the real `ScheduleService`.
 */

let p: Pipeline | undefined;
let store: ScheduleStore;
let clock: ManualClock;
let applied: string[];
let queued: QueuedMessage[];
afterEach(async () => {
  await p?.close();
  p = undefined;
});

async function start(
  options: { policy?: AccessPolicy; schedules?: false; failSync?: boolean } = {},
): Promise<Pipeline> {
  store = createMemoryScheduleStore();
  clock = new ManualClock(Date.now());
  applied = [];
  queued = [];
  const sync: ScheduleSync = {
    kind: 'eventbridge',
    apply: async (r) => {
      if (options.failSync) throw new Error('EventBridge Scheduler unreachable');
      applied.push(`${r.name} v${r.version}`);
    },
    remove: async (_t, name) => void applied.push(`removed ${name}`),
  };
  const service = createScheduleService({ store, sync, clock, agentsOf: () => ['aws-support'] });
  p = await startPipeline({
    runner: createFakeRunner(),
    ...(options.schedules === false
      ? {}
      : { schedules: { service, claims: createMemoryClaimStore({ clock }) } }),
    ...(options.policy ? { policy: options.policy } : {}),
    queueFactory: () => ({
      queue: { enqueue: async (m) => void queued.push(m) },
      consumer: { stop: async () => undefined },
    }),
  });
  p.api.setChat(FORUM);
  return p;
}

const name = (n: string) => n as ScheduleName;

/** The latest bot message in `chatId` with an inline keyboard, and its buttons' data. */
function confirmation(
  pipe: Pipeline,
  chatId: number,
): { message: StoredMessage; save: string; cancel: string } {
  const message = pipe.api
    .messages(chatId)
    .filter((m) => m.replyMarkup !== undefined)
    .at(-1);
  if (!message) throw new Error('no confirmation was sent');
  const row = (
    message.replyMarkup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }
  ).inline_keyboard[0]!;
  expect(row.map((b) => b.text)).toEqual(['Save', 'Cancel']);
  return { message, save: row[0]!.callback_data, cancel: row[1]!.callback_data };
}

/** A tap on the confirmation (its own message id, so the edit finds it). */
function tap(
  data: string,
  message: StoredMessage,
  where: { thread?: number } = {},
  from: typeof USER | typeof STRANGER = USER,
) {
  const update = press(data, where, from);
  (update.callback_query as { message: { message_id: number } }).message.message_id = message.messageId;
  return update;
}

/** A tap on a message in the forum's General topic (no topic id). */
function tapInGeneral(data: string, message: StoredMessage) {
  const update = tap(data, message, { thread: 1 });
  const m = (update.callback_query as unknown as { message: Record<string, unknown> }).message;
  delete m.message_thread_id;
  delete m.is_topic_message;
  return update;
}

const answers = (pipe: Pipeline) =>
  pipe.api
    .callsTo('answerCallbackQuery')
    .map((c) => ({ text: c.params.text, alert: c.params.show_alert === true }));
const lastText = (pipe: Pipeline, chatId: number) => pipe.api.sentTexts({ chatId }).at(-1) ?? '';

describe('/schedule add → Save / Cancel', () => {
  it('shows a summary with two buttons, saves once on the proposer’s Save, and edits the message', async () => {
    const pipe = await start();
    await pipe.post(topicText(7, '/schedule add morning 0 9 * * 1-5 Europe/Berlin Summarise the alarms'));
    const { message, save, cancel } = confirmation(pipe, FORUM.id);
    expect(save).toMatch(/^sc:[A-Za-z0-9_-]{22}:s$/);
    expect(cancel).toBe(save.replace(/:s$/, ':c'));
    expect(Buffer.byteLength(save)).toBeLessThanOrEqual(64);
    expect(message.text).toMatch(
      /^Save this schedule\?\n\nName: morning\nWhen: cron 0 9 \* \* 1-5 \(Europe\/Berlin\)\nTime zone: Europe\/Berlin\nNext runs: (\w{3} \d{1,2} \w{3}, 09:00; ){2}\w{3} \d{1,2} \w{3}, 09:00\nPosts in: topic 7 of this chat\nPrompt: Summarise the alarms$/,
    );
    expect(pipe.api.callsTo('sendMessage').at(-1)?.params.message_thread_id).toBe(7);
    expect(await store.list(DEFAULT_TENANT)).toEqual([]);

    await pipe.post(tap(save, message, { thread: 7 }));
    const saved = await store.get(DEFAULT_TENANT, name('morning'));
    expect(saved).toMatchObject({
      origin: 'runtime',
      createdBy: `tg:${USER.id}`,
      timezone: 'Europe/Berlin',
      target: { chat: FORUM.id, thread: 7 },
      prompt: 'Summarise the alarms',
      version: 1,
    });
    expect(applied).toEqual(['morning v1']);
    expect(answers(pipe)).toEqual([{ text: scheduleTexts.pressSaving, alert: false }]);
    const edited = pipe.api.messages(FORUM.id).find((m) => m.messageId === message.messageId)!;
    expect(edited.text).toMatch(/^✅ Saved — next run \w{3} \d{1,2} \w{3}, 09:00 \(Europe\/Berlin\)\.\n/);
    expect(edited.replyMarkup).toBeUndefined();
    expect(queued).toEqual([]);
  });

  it('keeps the saved schedule when its trigger fails, and says an operator can sync', async () => {
    const pipe = await start({ failSync: true });
    await pipe.post(privateText('/schedule add db every 15m Check the database'));
    const { message, save } = confirmation(pipe, USER.id);
    await pipe.post(tap(save, message));
    expect(await store.get(DEFAULT_TENANT, name('db'))).toMatchObject({ version: 1 });
    expect(answers(pipe)).toEqual([{ text: scheduleTexts.pressSaving, alert: false }]);
    expect(pipe.api.messages(USER.id).find((m) => m.messageId === message.messageId)?.text).toMatch(
      /^✅ Saved — next run .*\.\n⚠️ Its trigger could not be updated yet: an operator can run "omnicloud schedules sync"\./,
    );
  });

  it('saves once on a double tap (two updates)', async () => {
    const pipe = await start();
    await pipe.post(privateText('/schedule add db every 15m Check the database'));
    const { message, save } = confirmation(pipe, USER.id);
    await Promise.all([pipe.post(tap(save, message)), pipe.post(tap(save, message))]);
    expect((await store.list(DEFAULT_TENANT)).map((r) => [r.name, r.version])).toEqual([['db', 1]]);
    expect(applied).toEqual(['db v1']);
    expect(
      answers(pipe)
        .map((a) => a.text)
        .sort(),
    ).toEqual([scheduleTexts.pressExpired, scheduleTexts.pressSaving].sort());
  });

  it('refuses Save by someone else, but lets an approver save', async () => {
    const pipe = await start({ policy: { allowedUserIds: [USER.id, 222] } });
    await pipe.post(topicText(7, '/schedule add db every 1h Check'));
    const { message, save } = confirmation(pipe, FORUM.id);
    await pipe.post(tap(save, message, { thread: 7 }, STRANGER));
    expect(answers(pipe)).toEqual([{ text: scheduleTexts.pressNotYours, alert: true }]);
    expect(await store.list(DEFAULT_TENANT)).toEqual([]);
    // The refused tap did not use the draft up: the proposer still can.
    await pipe.post(tap(save, message, { thread: 7 }));
    expect(await store.get(DEFAULT_TENANT, name('db'))).not.toBeNull();

    const approving = await start({ policy: { allowedUserIds: [USER.id], approverIds: [STRANGER.id] } });
    await approving.post(topicText(7, '/schedule add db2 every 1h Check'));
    const second = confirmation(approving, FORUM.id);
    await approving.post(tap(second.save, second.message, { thread: 7 }, STRANGER));
    expect(await store.get(DEFAULT_TENANT, name('db2'))).toMatchObject({ createdBy: `tg:${STRANGER.id}` });
  });

  it('refuses a tap on a message in another chat or topic than the draft’s', async () => {
    const pipe = await start();
    await pipe.post(topicText(7, '/schedule add db every 1h Check'));
    const { message, save } = confirmation(pipe, FORUM.id);
    await pipe.post(tap(save, message, { thread: 8 }));
    await pipe.post(tap(save, message));
    expect(answers(pipe)).toEqual(Array(2).fill({ text: scheduleTexts.pressForeign, alert: true }));
    expect(await store.list(DEFAULT_TENANT)).toEqual([]);
  });

  it('says an expired, unknown or forged draft expired, and saves nothing', async () => {
    const pipe = await start();
    await pipe.post(privateText('/schedule add db every 15m Check the database'));
    const { message, save } = confirmation(pipe, USER.id);
    clock.advance(15 * 60_000 + 1);
    await pipe.post(tap(save, message));
    await pipe.post(tap('sc:AAAAAAAAAAAAAAAAAAAAAA:s', message));
    await pipe.post(tap('sc:short:s', message));
    expect(answers(pipe)).toEqual([
      { text: scheduleTexts.pressExpired, alert: true },
      { text: scheduleTexts.pressExpired, alert: true },
      { text: 'Unknown button', alert: false },
    ]);
    expect(await store.list(DEFAULT_TENANT)).toEqual([]);
  });

  it('Cancel deletes the draft and edits the message; a later Save finds nothing', async () => {
    const pipe = await start();
    await pipe.post(privateText('/schedule add db every 15m Check the database'));
    const { message, save, cancel } = confirmation(pipe, USER.id);
    await pipe.post(tap(cancel, message));
    await pipe.post(tap(save, message));
    expect(answers(pipe).map((a) => a.text)).toEqual([
      scheduleTexts.pressCancelled,
      scheduleTexts.pressExpired,
    ]);
    expect(pipe.api.messages(USER.id).find((m) => m.messageId === message.messageId)).toMatchObject({
      text: scheduleTexts.cancelled,
    });
    expect(await store.list(DEFAULT_TENANT)).toEqual([]);
  });

  it('targets a topic of its own with --new-topic (also from the General topic, where it is required)', async () => {
    const pipe = await start();
    await pipe.post(generalText('/schedule add db every 1h Check'));
    expect(lastText(pipe, FORUM.id)).toBe(scheduleTexts.generalNeedsNewTopic);
    await pipe.post(generalText('/schedule add db --new-topic every 1h Check'));
    const { message, save } = confirmation(pipe, FORUM.id);
    expect(message.text).toContain('Posts in: a new topic of its own in this chat');
    await pipe.post(tapInGeneral(save, message));
    expect((await store.get(DEFAULT_TENANT, name('db')))?.target).toEqual({ chat: FORUM.id, thread: 'new' });
    await pipe.post(privateText('/schedule add x --new-topic every 1h Check'));
    expect(lastText(pipe, USER.id)).toBe(scheduleTexts.newTopicNeedsForum);
  });

  it('answers bad input with the usage or the problem, never an exception', async () => {
    const pipe = await start();
    const cases: Array<[string, RegExp]> = [
      ['/schedule', /^Usage:/],
      ['/schedule frobnicate', /^Usage:/],
      ['/schedule add', /^Not added: the schedule needs a name\./],
      ['/schedule add Bad_Name every 1h p', /^Not added: name: must be 1–40 characters/],
      ['/schedule add x every 1m p', /^Not added: every: runs at most every 5 minutes/],
      ['/schedule add x */2 * * * * p', /^Not added: cron: .*more often than every 5 minutes/],
      ['/schedule add x every 1h Mars/Olympus p', /^Not added: timezone: unknown time zone "Mars\/Olympus"/],
      ['/schedule add x every 1h', /^Not added: the schedule needs a prompt/],
      ['/schedule pause', /^Usage:/],
      ['/schedule list everything', /^Usage:/],
    ];
    for (const [text, reply] of cases) {
      await pipe.post(privateText(text));
      expect([text, lastText(pipe, USER.id)]).toEqual([text, expect.stringMatching(reply)]);
    }
    expect(pipe.api.messages(USER.id).filter((m) => m.replyMarkup !== undefined)).toEqual([]);
  });

  it('refuses an existing name before showing a confirmation', async () => {
    const pipe = await start();
    await pipe.post(privateText('/schedule add db every 15m Check'));
    await pipe.post(tap(confirmation(pipe, USER.id).save, confirmation(pipe, USER.id).message));
    await pipe.post(privateText('/schedule add db every 1h Again'));
    expect(lastText(pipe, USER.id)).toBe(
      'Not added: a schedule named "db" exists already\nSend /schedule for the usage.',
    );
  });

  it('says schedules are not available without the service', async () => {
    const pipe = await start({ schedules: false });
    await pipe.post(privateText('/schedule list'));
    expect(lastText(pipe, USER.id)).toBe(scheduleTexts.unavailable);
  });

  it('is refused to a user not on the allowlist (silently, like every message)', async () => {
    const pipe = await start({ policy: { allowedUserIds: [USER.id] } });
    await pipe.post(privateText('/schedule list', STRANGER));
    expect(pipe.api.sentTexts()).toEqual([]);
  });
});

describe('/schedule list, pause, resume, remove', () => {
  async function seed(): Promise<void> {
    const base = {
      timezone: 'UTC',
      prompt: 'p',
      enabled: true,
      tenant: DEFAULT_TENANT,
      paused: false,
      createdAt: clock.now(),
      updatedAt: clock.now(),
      version: 0,
    };
    const records: ScheduleRecord[] = [
      {
        ...base,
        name: name('here'),
        timing: { type: 'rate', every: 15, unit: 'minutes' },
        target: { chat: FORUM.id, thread: 7 },
        origin: 'runtime',
        createdBy: 'tg:1',
      },
      {
        ...base,
        name: name('nightly'),
        timing: { type: 'cron', expression: '0 3 * * *' },
        timezone: 'Europe/Berlin',
        target: { chat: FORUM.id },
        origin: 'config',
        createdBy: 'config',
      },
      {
        ...base,
        name: name('elsewhere'),
        timing: { type: 'rate', every: 1, unit: 'days' },
        target: { chat: -100555 },
        origin: 'runtime',
        createdBy: 'tg:1',
      },
    ];
    for (const r of records) await store.put(r, 0);
  }

  it('lists the schedules posting in this chat, or all of them', async () => {
    const pipe = await start();
    await seed();
    await pipe.post(topicText(7, '/schedule list'));
    const here = lastText(pipe, FORUM.id).split('\n');
    expect(here[0]).toBe('Schedules posting in this chat (2):');
    expect(here[1]).toMatch(
      /^• here — enabled · every 15 minutes · next \w{3} \d{1,2} \w{3}, \d\d:\d[05] \(UTC\) · added at runtime · topic 7 of this chat$/,
    );
    expect(here[2]).toMatch(
      /^• nightly — enabled · cron 0 3 \* \* \* \(Europe\/Berlin\) · next \w{3} \d{1,2} \w{3}, 03:00 \(Europe\/Berlin\) · schedules\.yaml$/,
    );
    await pipe.post(topicText(7, '/schedule list all'));
    expect(lastText(pipe, FORUM.id)).toMatch(/^All schedules \(3\):\n• elsewhere — .* · chat -100555\n/);
    await pipe.post(privateText('/schedule list'));
    expect(lastText(pipe, USER.id)).toBe(scheduleTexts.noneHere);
  });

  it('splits a long list over several messages', async () => {
    const pipe = await start();
    for (let i = 0; i < 60; i++) {
      await store.put(
        {
          name: name(`schedule-with-a-rather-long-name-${String(i).padStart(3, '0')}`),
          timing: { type: 'cron', expression: '0 9 * * 1-5' },
          timezone: 'America/Argentina/Buenos_Aires',
          prompt: 'p',
          target: { chat: FORUM.id, thread: 1000 + i },
          enabled: true,
          tenant: DEFAULT_TENANT,
          origin: 'runtime',
          paused: false,
          createdBy: 'tg:1',
          createdAt: clock.now(),
          updatedAt: clock.now(),
          version: 0,
        },
        0,
      );
    }
    await pipe.post(topicText(7, '/schedule list'));
    const sent = pipe.api.sentTexts({ chatId: FORUM.id });
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.every((t) => t.length <= 4096)).toBe(true);
    expect(sent.join('\n').match(/^• /gm)).toHaveLength(60);
  });

  it('pauses and resumes (a config schedule too), removes a runtime one, refuses removing a config one', async () => {
    const pipe = await start();
    await seed();
    await pipe.post(topicText(7, '/schedule pause here'));
    expect(lastText(pipe, FORUM.id)).toBe(scheduleTexts.paused('here'));
    expect((await store.get(DEFAULT_TENANT, name('here')))?.paused).toBe(true);
    await pipe.post(topicText(7, '/schedule pause here'));
    expect(lastText(pipe, FORUM.id)).toBe(scheduleTexts.alreadyPaused('here'));
    await pipe.post(topicText(7, '/schedule list'));
    expect(lastText(pipe, FORUM.id)).toContain('• here — ⏸ paused · every 15 minutes · next none (paused)');
    await pipe.post(topicText(7, '/schedule resume here'));
    expect(lastText(pipe, FORUM.id)).toMatch(
      /^▶️ Resumed "here" — next run \w{3} \d{1,2} \w{3}, \d\d:\d\d \(UTC\)\.$/,
    );
    await pipe.post(topicText(7, '/schedule pause nightly'));
    expect((await store.get(DEFAULT_TENANT, name('nightly')))?.paused).toBe(true);
    await pipe.post(topicText(7, '/schedule remove nightly'));
    expect(lastText(pipe, FORUM.id)).toBe(
      'schedule "nightly" is defined in schedules.yaml: change it there (it may only be paused or resumed here)',
    );
    await pipe.post(topicText(7, '/schedule remove here'));
    expect(lastText(pipe, FORUM.id)).toBe(scheduleTexts.removed('here'));
    expect(await store.get(DEFAULT_TENANT, name('here'))).toBeNull();
    expect(applied).toEqual(['here v2', 'here v3', 'nightly v2', 'removed here']);
  });

  it('answers an unknown name with the names there are', async () => {
    const pipe = await start();
    await pipe.post(topicText(7, '/schedule pause ghost'));
    expect(lastText(pipe, FORUM.id)).toBe(scheduleTexts.unknownName('ghost', []));
    await seed();
    await pipe.post(topicText(7, '/schedule remove ghost'));
    expect(lastText(pipe, FORUM.id)).toBe('No schedule named "ghost". Schedules: elsewhere, here, nightly');
  });
});
