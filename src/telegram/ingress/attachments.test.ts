import { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../core/ids.js';
import type { AgentWork, QueuedMessage } from '../../queue/types.js';
import { createMemoryDeduper } from '../dedupe/memory.js';
import { BOT_API_DOWNLOAD_LIMIT } from './attachments.js';
import { createIngress } from './ingress.js';
import { mountTelegramWebhook } from './webhook.js';

const SECRET = 'attachments-secret';
const botInfo = { id: 1, is_bot: true, first_name: 'Bot', username: 'omni_test_bot' } as UserFromGetMe;
const MB = 1024 * 1024;

/** The ingress behind the webhook route, the Bot API stubbed with a transformer (no network). */
function setup(maxBytes = 20 * MB) {
  const enqueued: QueuedMessage[] = [];
  const replies: string[] = [];
  const bot = new Bot('1:x', { botInfo });
  bot.api.config.use(async (_prev, method, payload) => {
    if (method === 'sendMessage') replies.push(String((payload as { text: unknown }).text));
    return { ok: true, result: true } as never;
  });
  bot.use(
    createIngress({
      tenant: DEFAULT_TENANT,
      queue: { enqueue: async (m) => void enqueued.push(m) },
      deduper: createMemoryDeduper(),
      files: { maxBytes },
    }),
  );
  const app = mountTelegramWebhook(new Hono(), {
    resolve: (t: string) => (t === 'default' ? { bot, secretToken: SECRET } : undefined),
  });
  let next = 100;
  const post = (message: Record<string, unknown>) =>
    app.request('/telegram/default', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify({
        update_id: next++,
        message: {
          message_id: next,
          date: 1_700_000_000,
          chat: { id: 42, type: 'private', first_name: 'A' },
          from: { id: 42, is_bot: false, first_name: 'A' },
          ...message,
        },
      }),
    });
  return { post, enqueued, replies };
}

const size = (id: string, width: number, bytes?: number) => ({
  file_id: `id-${id}`,
  file_unique_id: `u-${id}`,
  width,
  height: width,
  ...(bytes !== undefined ? { file_size: bytes } : {}),
});

describe('ingress: photos and documents', () => {
  it('queues the largest photo size within the download limit, with the caption and album id', async () => {
    const { post, enqueued } = setup();
    const photo = [
      size('s', 90, 1_000),
      size('xl', 4000, BOT_API_DOWNLOAD_LIMIT + 1),
      size('m', 800, 80_000),
    ];
    const res = await post({ photo, caption: 'what is wrong here?', media_group_id: 'g-1' });
    expect(res.status).toBe(200);
    const work = enqueued[0] as AgentWork;
    expect(work).toMatchObject({ kind: 'agent', text: 'what is wrong here?', mediaGroupId: 'g-1' });
    expect(work.attachments).toEqual([
      {
        kind: 'photo',
        fileId: 'id-m',
        fileUniqueId: 'u-m',
        size: 80_000,
        messageId: work.source.replyTo.replyToMessageId,
      },
    ]);
  });

  it('queues a document with its claimed name and type, and an empty prompt without a caption', async () => {
    const { post, enqueued } = setup();
    const document = {
      file_id: 'doc',
      file_unique_id: 'udoc',
      file_name: 'app.log',
      mime_type: 'text/plain',
      file_size: 12,
    };
    await post({ document });
    expect(enqueued[0]).toMatchObject({
      text: '',
      attachments: [
        {
          kind: 'document',
          fileId: 'doc',
          fileUniqueId: 'udoc',
          name: 'app.log',
          mime: 'text/plain',
          size: 12,
        },
      ],
    });
    expect((enqueued[0] as AgentWork).mediaGroupId).toBeUndefined();
  });

  it('treats a caption that looks like a command as the file’s text, not a command', async () => {
    const { post, enqueued, replies } = setup();
    await post({ photo: [size('a', 100, 10)], caption: '/new' });
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({ kind: 'agent', text: '/new' });
    expect(replies).toEqual([]);
  });

  it('refuses by declared size before queueing: over the tenant’s cap, or no photo size small enough', async () => {
    const { post, enqueued, replies } = setup(5 * MB);
    await post({
      document: { file_id: 'd', file_unique_id: 'ud', file_name: 'dump.bin', file_size: 6 * MB },
    });
    await post({ photo: [size('big', 3000, 6 * MB)] });
    // A smaller size that fits is taken instead of refusing.
    await post({ photo: [size('fits', 800, 4 * MB), size('big', 3000, 6 * MB)] });
    expect(replies).toEqual([
      '"dump.bin" is too large for me (6 MB; I accept files up to 5 MB). Nothing was sent to the agent: please send a smaller file, or the relevant part as text.',
      'The photo is too large for me (6 MB; I accept files up to 5 MB). Nothing was sent to the agent: please send a smaller file, or the relevant part as text.',
    ]);
    expect(enqueued.map((m) => (m as AgentWork).attachments?.[0]?.fileId)).toEqual(['id-fits']);
  });

  it.each([
    ['voice', { file_id: 'v', file_unique_id: 'uv', duration: 2 }, 'Voice messages'],
    ['video_note', { file_id: 'v', file_unique_id: 'uv', length: 1, duration: 2 }, 'Video messages'],
    ['sticker', { file_id: 's', file_unique_id: 'us', type: 'regular', width: 1, height: 1 }, 'Stickers'],
    ['location', { latitude: 1, longitude: 2 }, 'Locations'],
    ['contact', { phone_number: '1', first_name: 'B' }, 'Contacts'],
    ['dice', { emoji: '🎲', value: 3 }, 'Dice'],
    ['audio', { file_id: 'a', file_unique_id: 'ua', duration: 2 }, 'Audio files'],
    ['video', { file_id: 'a', file_unique_id: 'ua', width: 1, height: 1, duration: 2 }, 'Videos'],
  ])('answers %s with "not supported yet", naming it, and queues nothing', async (field, value, name) => {
    const { post, enqueued, replies } = setup();
    await post({ [field]: value });
    expect(replies).toEqual([expect.stringMatching(new RegExp(`^${name} are not supported yet`))]);
    expect(enqueued).toEqual([]);
  });

  it('answers a GIF (which also carries a document) as not supported, not as a document', async () => {
    const { post, enqueued, replies } = setup();
    const file = { file_id: 'g', file_unique_id: 'ug', width: 1, height: 1, duration: 1 };
    await post({ animation: file, document: { file_id: 'g', file_unique_id: 'ug' } });
    expect(replies).toEqual([expect.stringMatching(/^GIFs are not supported yet/)]);
    expect(enqueued).toEqual([]);
  });

  it('refuses hostile file fields with 400 before the ingress sees them', async () => {
    const { post, enqueued } = setup();
    const ok = size('a', 10, 10);
    const bad: Array<Record<string, unknown>> = [
      { photo: [] },
      { photo: Array.from({ length: 21 }, () => ok) },
      { photo: [{ ...ok, file_id: 'x'.repeat(257) }] },
      { photo: [{ ...ok, file_unique_id: 'x'.repeat(65) }] },
      { photo: [{ ...ok, file_size: -1 }] },
      { photo: [{ ...ok, width: 'wide' }] },
      { photo: 'a photo' },
      { photo: [ok], caption: 'x'.repeat(16_385) },
      { photo: [ok], media_group_id: 'g'.repeat(65) },
      { photo: [ok], media_group_id: 7 },
      { document: { file_id: 'd', file_unique_id: 'u', file_name: 'n'.repeat(1025) } },
      { document: { file_id: 'd', file_unique_id: 'u', mime_type: 'm'.repeat(257) } },
      { document: { file_id: '', file_unique_id: 'u' } },
      { document: { file_id: 'd', file_unique_id: 'u', file_size: 2 ** 53 } },
    ];
    for (const message of bad)
      expect((await post(message)).status, JSON.stringify(message).slice(0, 80)).toBe(400);
    expect(enqueued).toEqual([]);
  });
});
