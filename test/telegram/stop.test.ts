import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { createMemoryStorage } from '../../src/sessions/adapters/memory/index.js';
import { createSqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import type { LeaseManager, Storage } from '../../src/sessions/types.js';
import type { AccessPolicy, CommandsConfig } from '../../src/telegram/config.js';
import type { TurnStops } from '../../src/telegram/ingress/stops.js';
import { STOP_REACTION } from '../../src/telegram/ingress/commands/index.js';
import { texts } from '../../src/telegram/ingress/texts.js';
import { createFakeRunner, type FakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import {
  FORUM,
  STRANGER,
  USER,
  editedPrivateText,
  generalText,
  privateText,
  topicText,
  press,
} from './updates.js';

/**
 * `/stop`, the Stop button and the busy 👀 through the whole local pipeline (webhook → ingress →
 * in-process queue → worker) against the fake Bot API, with a real storage's leases: a turn
 * "running" is a lease held by the test, as the runner holds it.
 */

let p: Pipeline | undefined;
let storage: Storage | undefined;
let runner: FakeRunner;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await p?.close();
  p = undefined;
  await storage?.close();
  storage = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const privateKey = conversationKey({ tenant: DEFAULT_TENANT, chat: USER.id });
const topicKey = (thread: number): ConversationKey =>
  conversationKey({ tenant: DEFAULT_TENANT, chat: FORUM.id, thread });

async function start(
  options: {
    policy?: AccessPolicy;
    commands?: CommandsConfig;
    storage?: Storage;
    stops?: (leases: LeaseManager) => TurnStops;
  } = {},
): Promise<{ pipe: Pipeline; leases: LeaseManager }> {
  storage = options.storage ?? createMemoryStorage();
  const leases = storage.leases;
  runner = createFakeRunner();
  p = await startPipeline({
    runner,
    stops: options.stops ? options.stops(leases) : leases,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.commands ? { commands: options.commands } : {}),
  });
  p.api.setChat(FORUM);
  return { pipe: p, leases };
}

const answers = (pipe: Pipeline): string[] =>
  pipe.api.callsTo('answerCallbackQuery').map((c) => String(c.params.text));
const reactions = (pipe: Pipeline) => pipe.api.callsTo('setMessageReaction').map((c) => c.params);

describe('/stop', () => {
  it.each(['memory', 'sqlite'] as const)(
    'asks the running turn to stop at once, without queueing (%s leases)',
    async (kind) => {
      let backend: Storage | undefined;
      if (kind === 'sqlite') {
        const dir = await mkdtemp(join(tmpdir(), 'omni-stop-'));
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        backend = createSqliteStorage({ dataDir: dir });
      }
      const { pipe, leases } = await start(backend ? { storage: backend } : {});
      const lease = await leases.acquire(privateKey);
      expect((await pipe.post(privateText('/stop'))).status).toBe(200);
      // Acknowledged with a reaction on the /stop message, not a message competing with the turn.
      expect(pipe.api.sentTexts({ chatId: USER.id })).toEqual([]);
      expect(pipe.api.callsTo('setMessageReaction').map((c) => c.params.reaction)).toEqual([
        [{ type: 'emoji', emoji: STOP_REACTION }],
      ]);
      expect(await leases.stopRequested(lease)).toBe(true);
      await pipe.service.idle();
      expect(runner.turns).toEqual([]);
      expect(runner.resets).toEqual([]);
    },
  );

  it('says nothing is running when no turn holds the conversation (a turn ended stops nothing later)', async () => {
    const { pipe, leases } = await start();
    await pipe.post(privateText('/stop'));
    expect(pipe.api.sentTexts({ chatId: USER.id })).toEqual([texts.nothingRunning]);
    // The next turn is not stopped by a request made while nothing ran.
    const lease = await leases.acquire(privateKey);
    expect(await leases.stopRequested(lease)).toBe(false);
  });

  it('acts on its own conversation only: a turn in another topic keeps running', async () => {
    const { pipe, leases } = await start();
    const other = await leases.acquire(topicKey(8));
    await pipe.post(topicText(7, '/stop'));
    expect(pipe.api.sentTexts({ chatId: FORUM.id, threadId: 7 })).toEqual([texts.nothingRunning]);
    expect(await leases.stopRequested(other)).toBe(false);
  });

  it('in the General topic gives the hint; from a user not on the allowlist does nothing', async () => {
    const { pipe, leases } = await start({ policy: { allowedUserIds: [USER.id] } });
    const lease = await leases.acquire(conversationKey({ tenant: DEFAULT_TENANT, chat: STRANGER.id }));
    await pipe.post(generalText('/stop'));
    expect(pipe.api.sentTexts({ chatId: FORUM.id })).toEqual([texts.generalHint]);
    await pipe.post(privateText('/stop', STRANGER));
    expect(pipe.api.sentTexts({ chatId: STRANGER.id })).toEqual([]);
    expect(await leases.stopRequested(lease)).toBe(false);
  });

  it('is in /help', async () => {
    const { pipe } = await start();
    await pipe.post(privateText('/help'));
    expect(pipe.api.sentTexts()[0]).toContain('/stop — ');
  });
});

describe('Stop button', () => {
  it("stops the turn it names, in the conversation of the button's message", async () => {
    const { pipe, leases } = await start();
    const lease = await leases.acquire(topicKey(7));
    expect((await pipe.post(press(`stop:${lease.token}`, { thread: 7 }))).status).toBe(200);
    expect(answers(pipe)).toEqual([texts.buttonStopping]);
    expect(await leases.stopRequested(lease)).toBe(true);
    expect(pipe.api.sentTexts()).toEqual([]);
  });

  it('a button of an ended turn stops nothing, not even the turn running now', async () => {
    const { pipe, leases } = await start();
    const old = await leases.acquire(privateKey);
    await leases.release(old);
    const now = await leases.acquire(privateKey);
    expect(now.token).toBeGreaterThan(old.token);
    await pipe.post(press(`stop:${old.token}`));
    expect(answers(pipe)).toEqual([texts.buttonTurnEnded]);
    expect(await leases.stopRequested(now)).toBe(false);
  });

  it('takes the conversation from the message, never from the data: a press in another topic stops nothing', async () => {
    const { pipe, leases } = await start();
    const lease = await leases.acquire(topicKey(7));
    await pipe.post(press(`stop:${lease.token}`, { thread: 8 }));
    expect(answers(pipe)).toEqual([texts.buttonTurnEnded]);
    expect(await leases.stopRequested(lease)).toBe(false);
  });

  it('refuses a user not on the allowlist, and stops nothing', async () => {
    const { pipe, leases } = await start({ policy: { allowedUserIds: [USER.id] } });
    const lease = await leases.acquire(topicKey(7));
    await pipe.post(press(`stop:${lease.token}`, { thread: 7 }, STRANGER));
    expect(answers(pipe)).toEqual([texts.buttonNotAllowed]);
    expect(await leases.stopRequested(lease)).toBe(false);
  });

  it('answers forged data "Unknown button" and does nothing', async () => {
    const { pipe, leases } = await start();
    const lease = await leases.acquire(topicKey(7));
    const forged = [
      'stop:0',
      'stop:01',
      'stop:-1',
      'stop:+1',
      'stop:1.0',
      `stop:${lease.token} `,
      ` stop:${lease.token}`,
      `STOP:${lease.token}`,
      'stop:',
      'stop:9007199254740993', // 16 digits, beyond a safe integer
      'stop:12345678901234567', // 17 digits
      `stop:${lease.token}\n`,
      'approve:1',
    ];
    for (const data of forged) await pipe.post(press(data, { thread: 7 }));
    expect(answers(pipe)).toEqual(forged.map(() => texts.buttonUnknown));
    expect(await leases.stopRequested(lease)).toBe(false);
  });

  it('a replayed press (same update id) is answered once', async () => {
    const { pipe, leases } = await start();
    const lease = await leases.acquire(topicKey(7));
    const update = press(`stop:${lease.token}`, { thread: 7 });
    await pipe.post(update);
    await pipe.post(update);
    expect(answers(pipe)).toEqual([texts.buttonStopping]);
  });

  it('a press on a message the bot can no longer see (date 0) stops nothing', async () => {
    const { pipe, leases } = await start();
    const lease = await leases.acquire(privateKey);
    const update = press(`stop:${lease.token}`) as unknown as {
      callback_query: { message: Record<string, unknown> };
    };
    update.callback_query.message = { message_id: 900, date: 0, chat: { id: USER.id, type: 'private' } };
    await pipe.post(update);
    expect(answers(pipe)).toEqual([texts.buttonTurnEnded]);
    expect(await leases.stopRequested(lease)).toBe(false);
  });
});

describe('busy acknowledgement', () => {
  it('reacts 👀 to a message queued behind a running turn, and to nothing when idle', async () => {
    const { pipe, leases } = await start();
    const idle = privateText('first');
    await pipe.post(idle);
    await pipe.service.idle();
    expect(reactions(pipe)).toEqual([]);
    await leases.acquire(privateKey);
    const busy = privateText('second');
    await pipe.post(busy);
    await pipe.service.idle();
    expect(reactions(pipe)).toEqual([
      { chat_id: USER.id, message_id: busy.message?.message_id, reaction: [{ type: 'emoji', emoji: '👀' }] },
    ]);
    expect(runner.turns.map((t) => t.text)).toEqual(['first', 'second']);
  });

  it('acknowledges agent commands too, in their own conversation only', async () => {
    const commands: CommandsConfig = { deploy: { type: 'agent', prompt: 'Deploy {args}', description: 'd' } };
    const { pipe, leases } = await start({ commands });
    await leases.acquire(topicKey(7));
    await pipe.post(topicText(8, '/deploy staging'));
    const queued = topicText(7, '/deploy prod');
    await pipe.post(queued);
    await pipe.service.idle();
    expect(reactions(pipe).map((r) => r.message_id)).toEqual([queued.message?.message_id]);
    expect(runner.turns.map((t) => t.text).sort()).toEqual(['Deploy prod', 'Deploy staging']);
  });

  it('a refused reaction does not lose the message', async () => {
    const { pipe, leases } = await start();
    await leases.acquire(privateKey);
    pipe.api.failNext('setMessageReaction', {
      error_code: 400,
      description: 'Bad Request: REACTION_INVALID',
    });
    expect((await pipe.post(privateText('still here'))).status).toBe(200);
    await pipe.service.idle();
    expect(pipe.api.calls.filter((c) => c.method === 'setMessageReaction' && !c.ok)).toHaveLength(1);
    expect(runner.turns.map((t) => t.text)).toEqual(['still here']);
  });

  it('a failed read of the running turn does not lose the message either', async () => {
    const { pipe } = await start({
      stops: (leases) => ({
        requestStop: (key, options) => leases.requestStop(key, options),
        current: () => Promise.reject(new Error('table unavailable')),
      }),
    });
    expect((await pipe.post(privateText('queued anyway'))).status).toBe(200);
    await pipe.service.idle();
    expect(reactions(pipe)).toEqual([]);
    expect(runner.turns.map((t) => t.text)).toEqual(['queued anyway']);
  });
});

describe('edited messages', () => {
  it('are ignored by default', async () => {
    const { pipe } = await start();
    expect((await pipe.post(editedPrivateText('fixed typo'))).status).toBe(200);
    await pipe.service.idle();
    expect(runner.turns).toEqual([]);
    expect(pipe.api.sentTexts()).toEqual([]);
  });

  it('with editedMessages: new-turn, queue the edited text as a new turn marked as an edit', async () => {
    const { pipe } = await start({ policy: { editedMessages: 'new-turn' } });
    const edited = editedPrivateText('fixed typo');
    await pipe.post(edited);
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    await pipe.service.idle();
    expect(runner.turns.map((t) => t.text)).toEqual(['(edited message) fixed typo']);
    // Answered as a reply to the edited message.
    const sent = pipe.api.callsTo('sendMessage')[0];
    expect(sent?.params.reply_parameters).toMatchObject({ message_id: edited.edited_message?.message_id });
  });

  it('with new-turn, an edited command or a user not on the allowlist queues nothing', async () => {
    const { pipe } = await start({ policy: { editedMessages: 'new-turn', allowedUserIds: [USER.id] } });
    await pipe.post(editedPrivateText('/new'));
    await pipe.post(editedPrivateText('let me in', STRANGER));
    await pipe.service.idle();
    expect(runner.turns).toEqual([]);
    expect(runner.resets).toEqual([]);
  });
});
