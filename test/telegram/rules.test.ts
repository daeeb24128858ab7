import { afterEach, describe, expect, it } from 'vitest';
import { conversationKeyString } from '../../src/core/keys.js';
import type { AccessPolicy, CommandsConfig } from '../../src/telegram/config.js';
import type { TranscriptExporter, UsageReader } from '../../src/telegram/worker/types.js';
import { createFakeRunner, type FakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import {
  ADMIN_WITH_TOPICS,
  FORUM,
  PLAIN_GROUP,
  STRANGER,
  USER,
  botAdded,
  generalText,
  groupText,
  privateText,
  topicCreatedService,
  topicText,
} from './updates.js';

const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');
const settle = (ms = 150): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let p: Pipeline | undefined;
let runner: FakeRunner;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

async function start(
  options: {
    policy?: AccessPolicy;
    commands?: CommandsConfig;
    exportTranscript?: TranscriptExporter;
    usage?: UsageReader;
  } = {},
): Promise<Pipeline> {
  runner = createFakeRunner();
  p = await startPipeline({ runner, ...options });
  p.api.setChat(FORUM);
  p.api.setChat(PLAIN_GROUP);
  return p;
}

describe('allowlist', () => {
  it('ignores private messages from users not on the list', async () => {
    const pipe = await start({ policy: { allowedUserIds: [USER.id] } });
    expect((await pipe.post(privateText('let me in', STRANGER))).status).toBe(200);
    await pipe.post(privateText('hi', USER));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    await pipe.service.idle();
    expect(runner.turns.map((t) => t.text)).toEqual(['hi']);
    expect(pipe.api.sentTexts({ chatId: STRANGER.id })).toEqual([]);
  });

  it('leaves a group it was added to by a user not on the list', async () => {
    const pipe = await start({ policy: { allowedUserIds: [USER.id] } });
    await pipe.post(botAdded(FORUM, pipe.api.botInfo.id, STRANGER));
    expect(pipe.api.callsTo('leaveChat').map((c) => c.params.chat_id)).toEqual([FORUM.id]);
    expect(pipe.api.sentTexts()).toEqual([]);
  });

  it('explains what is missing when added to a group, and says when it is ready', async () => {
    const pipe = await start({ policy: { allowedUserIds: [USER.id] } });
    await pipe.post(botAdded(PLAIN_GROUP, pipe.api.botInfo.id, USER));
    await pipe.post(botAdded(FORUM, pipe.api.botInfo.id, USER));
    await pipe.post(botAdded(FORUM, pipe.api.botInfo.id, USER, ADMIN_WITH_TOPICS));
    expect(pipe.api.callsTo('leaveChat')).toEqual([]);
    const [plain, forumMember, forumAdmin] = pipe.api.sentTexts();
    expect(plain).toMatch(/Topics enabled/);
    expect(plain).toMatch(/Manage topics/);
    expect(forumMember).not.toMatch(/Topics enabled/);
    expect(forumMember).toMatch(/Manage topics/);
    expect(forumAdmin).toMatch(/Ready/);
  });
});

describe('groups and topics', () => {
  it('treats each forum topic as its own conversation and replies in the topic', async () => {
    const pipe = await start();
    await pipe.post(topicText(11, 'in topic 11'));
    await pipe.post(topicText(12, 'in topic 12'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 2);
    expect(runner.turns.map((t) => t.conversation).sort()).toEqual([
      `default:${FORUM.id}:11`,
      `default:${FORUM.id}:12`,
    ]);
    expect(unescape(pipe.api.sentTexts({ chatId: FORUM.id, threadId: 11 })[0] ?? '')).toBe(
      'reply #1 to: in topic 11',
    );
  });

  it('hints at /newchat in the General topic and ignores service messages', async () => {
    const pipe = await start();
    await pipe.post(generalText('hello?'));
    await pipe.post(topicCreatedService(13));
    expect(pipe.api.sentTexts()).toHaveLength(1);
    expect(pipe.api.sentTexts()[0]).toMatch(/\/newchat/);
    expect(pipe.api.callsTo('sendMessage')[0]?.params.message_thread_id).toBeUndefined();
    await settle();
    expect(runner.turns).toEqual([]);
  });

  it('ignores groups without topics by default and answers there when configured', async () => {
    const quiet = await start();
    await quiet.post(groupText('anyone?'));
    await settle();
    expect(quiet.api.sentTexts()).toEqual([]);
    await quiet.close();
    p = undefined;
    const chatty = await start({ policy: { nonForumGroups: 'respond' } });
    await chatty.post(groupText('anyone?'));
    await chatty.api.waitFor(() => chatty.api.sentTexts().length === 1);
    expect(runner.turns[0]?.conversation).toBe(`default:${PLAIN_GROUP.id}:main`);
  });
});

describe('commands', () => {
  const commands: CommandsConfig = {
    'hello-world': { type: 'agent', description: 'Run the hello-world skill' },
    about: { type: 'static', description: 'About', text: 'OmniCloud Ops Agent v1' },
  };

  it('answers /start, /help and static commands without the agent; @botname works', async () => {
    const pipe = await start({ commands });
    await pipe.post(privateText('/start'));
    await pipe.post(privateText('/help@omni_test_bot'));
    await pipe.post(privateText('/about'));
    await pipe.post(privateText('/about@some_other_bot'));
    const [welcome, help, about] = pipe.api.sentTexts();
    expect(pipe.api.sentTexts()).toHaveLength(3);
    expect(welcome).toMatch(/OmniCloud Ops Agent/);
    expect(help).toMatch(/\/hello-world — Run the hello-world skill/);
    expect(help).toMatch(/\/newchat/);
    expect(about).toBe('OmniCloud Ops Agent v1');
    await settle();
    expect(runner.turns).toEqual([]);
  });

  it('forwards agent commands as a prompt and lists commands for unknown ones', async () => {
    const pipe = await start({ commands });
    await pipe.post(privateText('/hello-world@omni_test_bot for Ada'));
    await pipe.post(privateText('/nope'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 2);
    expect(runner.turns.map((t) => t.text)).toEqual(['Use the skill "hello-world".\n\nfor Ada']);
    const unknown = pipe.api.sentTexts().find((t) => t.startsWith('Unknown'));
    expect(unknown).toMatch(/\/nope/);
    expect(unknown).toMatch(/\/hello-world/);
  });

  it('/new resets the conversation after the turns sent before it', async () => {
    const pipe = await start();
    await pipe.post(privateText('first'));
    await pipe.post(privateText('/new'));
    await pipe.post(privateText('second'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 3);
    expect(runner.resets).toEqual([`default:${USER.id}:main`]);
    expect(runner.turns.map((t) => t.history)).toEqual([[], []]);
    expect(pipe.api.sentTexts()[1]).toMatch(/fresh conversation/);
  });

  it('/debug sends the transcript as a document; /cost reports usage or says it is unavailable', async () => {
    const exported: string[] = [];
    const pipe = await start({
      exportTranscript: async (key) => {
        exported.push(conversationKeyString(key));
        return [{ filename: 'session.jsonl', content: '{"type":"user"}\n{"type":"assistant"}\n' }];
      },
    });
    await pipe.post(topicText(21, '/debug'));
    await pipe.post(topicText(21, '/cost'));
    await pipe.api.waitFor(
      () => pipe.api.callsTo('sendDocument').length === 1 && pipe.api.sentTexts().length === 1,
    );
    const doc = pipe.api.callsTo('sendDocument')[0];
    expect(exported).toEqual([`default:${FORUM.id}:21`]);
    expect(doc?.files.document?.filename).toBe('session.jsonl');
    expect(doc?.files.document?.content.toString()).toBe('{"type":"user"}\n{"type":"assistant"}\n');
    expect(Number(doc?.params.message_thread_id)).toBe(21);
    expect(pipe.api.sentTexts()[0]).toMatch(/not available/);
  });

  it('/cost reports the conversation usage when a reader is injected', async () => {
    const pipe = await start({
      usage: async () => ({
        turns: 3,
        costUsd: 0.0123,
        inputTokens: 1200,
        outputTokens: 300,
        cacheReadTokens: 5000,
        cacheCreationTokens: 0,
      }),
    });
    await pipe.post(privateText('/cost'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    expect(pipe.api.sentTexts()[0]).toMatch(/3 turns, \$0\.0123/);
  });

  it('/newchat creates a topic, links it, and the conversation continues there', async () => {
    const pipe = await start();
    await pipe.post(generalText('/newchat Why is the deploy failing?'));
    const topic = pipe.api.callsTo('createForumTopic')[0];
    expect(topic?.params).toMatchObject({ chat_id: FORUM.id, name: 'Why is the deploy failing?' });
    const threadId = 500; // the fake's first topic id
    await pipe.api.waitFor(() => pipe.api.sentTexts({ chatId: FORUM.id, threadId }).length === 2);
    const link = pipe.api.sentTexts().find((t) => t.includes('t.me/c/'));
    expect(link).toContain(`https://t.me/c/1234567890/${threadId}`);
    const [opening, reply] = pipe.api.sentTexts({ chatId: FORUM.id, threadId });
    expect(opening).toMatch(/Ada asked:\nWhy is the deploy failing\?/);
    expect(unescape(reply ?? '')).toBe('reply #1 to: Why is the deploy failing?');
    await pipe.post(topicText(threadId, 'and now?'));
    await pipe.api.waitFor(() => pipe.api.sentTexts({ chatId: FORUM.id, threadId }).length === 3);
    expect(runner.turns[1]).toMatchObject({
      conversation: `default:${FORUM.id}:${threadId}`,
      history: ['Why is the deploy failing?'],
    });
  });

  it('/newchat explains when it cannot create topics', async () => {
    const pipe = await start();
    pipe.api.setCanManageTopics(false);
    await pipe.post(generalText('/newchat hi'));
    await pipe.post(privateText('/newchat hi'));
    await pipe.post(generalText('/newchat'));
    const [noRights, noForum, usage] = pipe.api.sentTexts();
    expect(noRights).toMatch(/Manage topics/);
    expect(noForum).toMatch(/needs a group with Topics/);
    expect(usage).toMatch(/Usage/);
  });
});
