import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { proactiveStoresOf } from '../../src/app/proactive.js';
import { ManualClock } from '../../src/core/clock.js';
import { parseTenantId } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { eventRoutes } from '../../src/events/index.js';
import {
  alarmMessage,
  localUrlPolicy,
  startSnsFixture,
  TEST_TOPIC,
  type SnsFixture,
} from '../../src/events/testing/sns-fixture.js';
import { userTexts } from '../../src/model/index.js';
import { createLocalScheduler } from '../../src/schedules/local-scheduler.js';
import { parseScheduleSpec } from '../../src/schedules/spec.js';
import type { EventRoute } from '../../src/config/agent-config/events.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline, type QueueKind } from '../telegram/pipeline.js';
import { FORUM, topicText } from '../telegram/updates.js';

/**
 * Scheduled runs and alert investigations end to end with the REAL agent runner (the SDK binary
 * against the offline model) and SQLite storage: the in-process scheduler or the event endpoint →
 * the in-process queue → worker → one turn in a topic of its own → one answer there; a person's
 * reply in that topic continues the same session. Each real turn costs ~0.5–1 s: the cases are few.
 */
const TENANT = parseTenantId('default');
const HOUR = 3_600_000;
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');

describe.each<QueueKind>(['memory', 'sqs'])('proactive runs end to end, real agent, %s queue', (queue) => {
  let h: AgentHarness;
  let p: Pipeline;
  let sns: SnsFixture;
  beforeAll(async () => {
    sns = await startSnsFixture();
  });
  afterAll(() => sns.close());
  beforeEach(async () => {
    h = await startAgentHarness();
    p = await startPipeline({
      runner: h.runner,
      queue,
      policy: { busyMessages: 'one-by-one' },
      live: { enabled: false },
      proactive: proactiveStoresOf(h.storage),
    });
    p.api.setChat(FORUM);
  });
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  const topicsMade = () => p.api.callsTo('createForumTopic');
  const read = (threadId: number) => p.api.sentTexts({ chatId: FORUM.id, threadId }).map(unescape);

  /** The topic a proactive run opened (its first `createForumTopic`), once the answer is there. */
  async function answeredTopic(answers: number): Promise<number> {
    const inTopic = () => p.api.callsTo('sendMessage').find((c) => c.params.message_thread_id !== undefined);
    await p.api.waitFor(() => inTopic() !== undefined, 30_000);
    const topic = Number(inTopic()?.params.message_thread_id);
    await p.api.waitFor(() => read(topic).length >= answers, 45_000);
    return topic;
  }

  it('a due schedule runs once in its own topic, and a reply there continues its session', async () => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR; // the due time that has just passed
    const spec = parseScheduleSpec({
      name: 'hourly-check',
      cron: '0 * * * *',
      prompt: 'Check the overnight alarms',
      target: { chat: FORUM.id, thread: 'new' },
    });
    await h.storage.schedules.put({
      ...spec,
      tenant: TENANT,
      origin: 'config',
      paused: false,
      createdBy: 'config',
      createdAt: hour - 2 * HOUR,
      updatedAt: hour - 2 * HOUR,
      version: 0,
      lastDueAt: hour - HOUR, // the previous run was handled
    });
    const notes: string[] = [];
    const scheduler = createLocalScheduler({
      store: h.storage.schedules,
      tenants: [TENANT],
      queue: p.service.queue,
      clock: new ManualClock(hour + 10_000),
      notify: async (_record, text) => void notes.push(text),
      logger: silentLogger,
    });
    await scheduler.tick();
    await scheduler.tick(); // the bookmark moved: nothing is enqueued twice
    const topic = await answeredTopic(2);
    await p.service.idle();

    expect(topicsMade().map((c) => c.params.name)).toEqual(['🕘 hourly-check']);
    const inTopic = read(topic);
    expect(inTopic).toHaveLength(2);
    expect(inTopic[0]).toMatch(/^🕘 Scheduled run "hourly-check" — /);
    expect(inTopic[1]).toMatch(/^\[offline demo model\] I was shown no earlier user messages/);
    expect(inTopic[1]).toContain('Check the overnight alarms');
    expect(h.model.requests).toHaveLength(1);
    expect(notes).toEqual([]);
    expect((await h.storage.schedules.get(TENANT, spec.name))?.topic).toBe(topic);

    const key = conversationKey({ tenant: TENANT, chat: FORUM.id, thread: topic });
    const afterRun = await h.storage.conversations.get(key);
    expect(afterRun?.turns).toBe(1);

    // A person replies in the run's topic: the same session, which saw the scheduled prompt.
    await p.post(topicText(topic, 'anything new since then?'));
    await p.api.waitFor(() => read(topic).length === 3, 45_000);
    const reply = read(topic)[2]!;
    expect(reply).toMatch(/I was shown 1 earlier user message/);
    expect(userTexts(h.model.requests.at(-1)!)).toEqual([
      'Check the overnight alarms',
      'anything new since then?',
    ]);
    const afterReply = await h.storage.conversations.get(key);
    expect(afterReply?.sessionId).toBe(afterRun?.sessionId);
    expect(afterReply?.turns).toBe(2);
  });

  it('a CloudWatch alarm delivered 3× by SNS is one investigation, essentials first; follow-ups continue it', async () => {
    const routes: EventRoute[] = [
      {
        name: 'prod',
        match: { source: 'cloudwatch', topicArn: [TEST_TOPIC] },
        prompt: 'Investigate {{alarm}}: {{reason}}',
        target: { chat: FORUM.id, thread: 'new' },
        rateLimit: { max: 5, perMinutes: 60 },
      },
    ];
    const token = 'e2e-events-token-0123456789abcdef';
    const events = eventRoutes({
      tenants: (t) => (t === TENANT ? { tokens: [token], routes } : undefined),
      claims: h.storage.claims,
      queue: p.service.queue,
      logger: silentLogger,
      snsUrlPolicy: localUrlPolicy,
    });
    const deliver = () =>
      events.request(`/${TENANT}`, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain; charset=UTF-8',
          'x-amz-sns-message-type': 'Notification',
          authorization: `Basic ${Buffer.from(`sns:${token}`).toString('base64')}`,
        },
        // SNS re-sends with a new MessageId each time; the alarm's state change is the same.
        body: JSON.stringify(
          sns.envelope({ Message: JSON.stringify(alarmMessage()), Subject: 'ALARM: "prod-api-5xx"' }),
        ),
      });
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await deliver();
      expect(res.status).toBe(202);
      statuses.push(((await res.json()) as { status: string }).status);
    }
    expect(statuses).toEqual(['queued', 'duplicate', 'duplicate']);

    const topic = await answeredTopic(2);
    await p.service.idle();
    expect(topicsMade()).toHaveLength(1);
    const inTopic = read(topic);
    expect(inTopic).toHaveLength(2);
    expect(inTopic[0]?.split('\n')[0]).toBe('🚨 ALARM: prod-api-5xx');
    expect(inTopic[0]).toContain('State: ALARM (was OK)');
    expect(inTopic[1]).toMatch(/^\[offline demo model\] I was shown no earlier user messages/);
    expect(h.model.requests).toHaveLength(1);
    expect(userTexts(h.model.requests[0]!)[0]).toContain('Investigate ⟦prod-api-5xx⟧');

    await p.post(topicText(topic, 'is it still firing?'));
    await p.api.waitFor(() => read(topic).length === 3, 45_000);
    expect(read(topic)[2]).toMatch(/I was shown 1 earlier user message/);
    const key = conversationKey({ tenant: TENANT, chat: FORUM.id, thread: topic });
    expect((await h.storage.conversations.get(key))?.turns).toBe(2);
  });
});
