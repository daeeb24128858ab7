import { Bot } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/core/keys.js';
import { DEFAULT_FILE_POLICY } from '../../src/files/types.js';
import type { AgentWork } from '../../src/queue/types.js';
import { createTelegramWorker } from '../../src/telegram/worker/worker.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';

/**
 * A queue re-delivery of an update with a file (the worker died after the turn, before the message
 * was deleted), with the REAL runner: the turn ledger already holds the answer, so the worker
 * neither downloads nor stores the file again, and sends nothing twice.
 */
const CHAT = 4242;
const key = conversationKey({ tenant: 'default', chat: CHAT });

describe('Telegram files: a re-delivered update', () => {
  let h: AgentHarness;
  let api: FakeTelegramApi;
  beforeEach(async () => {
    h = await startAgentHarness();
    api = await startFakeTelegramApi();
  });
  afterEach(async () => {
    await api?.close();
    await h?.close();
  });

  it('is answered from the turn ledger: no second download, no second stored copy, no second reply', async () => {
    const file = api.addFile(Buffer.from('2026-12-02 ERROR disk full on /var\n'));
    const bot = new Bot(api.token, { botInfo: api.botInfo, client: { apiRoot: api.apiRoot } });
    const worker = createTelegramWorker({
      api: bot.api,
      runner: h.runner,
      files: { store: h.storage.files, policy: () => DEFAULT_FILE_POLICY },
      live: { enabled: false },
    });
    const work: AgentWork = {
      kind: 'agent',
      key,
      source: {
        type: 'telegram',
        updateId: 9001,
        userId: CHAT,
        replyTo: { chatId: CHAT, replyToMessageId: 5 },
      },
      text: 'what failed?',
      messageTime: Date.now(),
      attachments: [
        {
          kind: 'document',
          fileId: file.fileId,
          fileUniqueId: file.fileUniqueId,
          name: 'app.log',
          messageId: 5,
        },
      ],
    };
    await worker(work, { receiveCount: 1, maxReceives: 5 });
    expect(api.downloads(file.fileId)).toBe(1);
    expect(await h.storage.files.list(key)).toHaveLength(1);
    const replies = api.sentTexts({ chatId: CHAT });
    expect(replies).toHaveLength(1);
    // The demo model lists the file it was told of (the reply is MarkdownV2: `.` escaped).
    expect(replies[0]?.replace(/\\(.)/g, '$1')).toMatch(/files: \/.+\/app\.log/);
    const modelRequests = h.model.requests.length;

    await worker(work, { receiveCount: 2, maxReceives: 5 });
    expect(api.downloads(file.fileId)).toBe(1);
    expect(await h.storage.files.list(key)).toHaveLength(1);
    expect(api.sentTexts({ chatId: CHAT })).toHaveLength(1);
    expect(h.model.requests).toHaveLength(modelRequests);
  });
});
