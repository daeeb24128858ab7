import { Readable } from 'node:stream';
import { Bot } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { ingestFile } from '../../src/files/ingest.js';
import { DEFAULT_FILE_POLICY, type SentFile } from '../../src/files/types.js';
import type { AgentWork } from '../../src/queue/types.js';
import { sendFiles } from '../../src/telegram/worker/send-files.js';
import { createTelegramWorker } from '../../src/telegram/worker/worker.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';

/**
 * Tenant isolation of files through the bot: two tenants' bots (their own tokens, their own fake
 * Bot APIs) share one storage. Tenant B's worker is handed tenant A's file id and A's stored file.
 */
const CHAT = 111;
const keyA = conversationKey({ tenant: 'alpha', chat: CHAT });
const keyB = conversationKey({ tenant: 'bravo', chat: CHAT });

describe('Telegram files: tenant isolation', () => {
  let h: AgentHarness;
  let apiA: FakeTelegramApi;
  let apiB: FakeTelegramApi;
  beforeEach(async () => {
    h = await startAgentHarness();
    apiA = await startFakeTelegramApi({ token: '1001:alpha-token_abcdefghijklmnopqrstuv' });
    apiB = await startFakeTelegramApi({ token: '1002:bravo-token_abcdefghijklmnopqrstuv' });
  });
  afterEach(async () => {
    await apiA?.close();
    await apiB?.close();
    await h?.close();
  });

  const botB = () => new Bot(apiB.token, { botInfo: apiB.botInfo, client: { apiRoot: apiB.apiRoot } });

  it('B’s worker cannot fetch a file sent to A’s bot: refused, nothing stored for either tenant', async () => {
    const secret = apiA.addFile(Buffer.from('alpha secrets: db password is hunter2\n'));
    const worker = createTelegramWorker({
      api: botB().api,
      runner: h.runner,
      files: { store: h.storage.files, policy: () => DEFAULT_FILE_POLICY },
      live: { enabled: false },
    });
    const work: AgentWork = {
      kind: 'agent',
      key: keyB,
      source: {
        type: 'telegram',
        updateId: 77,
        userId: CHAT,
        replyTo: { chatId: CHAT, replyToMessageId: 9 },
      },
      text: '',
      messageTime: Date.now(),
      attachments: [
        {
          kind: 'document',
          fileId: secret.fileId,
          fileUniqueId: secret.fileUniqueId,
          name: 'a.log',
          messageId: 9,
        },
      ],
    };
    await worker(work, { receiveCount: 1, maxReceives: 5 });
    expect(apiA.calls).toEqual([]);
    expect(apiA.downloads(secret.fileId)).toBe(0);
    expect(apiB.calls.find((c) => c.method === 'getFile')?.error).toMatch(/invalid file_id/);
    expect(apiB.sentTexts()).toEqual([
      expect.stringMatching(/couldn't take a file:\n• "a\.log": Telegram refused it/),
    ]);
    expect(await h.storage.files.list(keyA)).toEqual([]);
    expect(await h.storage.files.list(keyB)).toEqual([]);
    expect(h.model.requests).toHaveLength(0);
  });

  it('B’s bot never sends A’s stored file, whether the result names A’s key or only A’s file id', async () => {
    const dir = await (h.runner.filesDir?.(keyA) as Promise<string>);
    const { file } = await ingestFile(h.storage.files, {
      key: keyA,
      direction: 'out',
      name: 'alpha-report.csv',
      body: Readable.from([Buffer.from('tenant,secret\nalpha,1\n')]),
      policy: DEFAULT_FILE_POLICY,
      dir,
    });
    const target = { chatId: CHAT };
    const bot = botB();
    const logger = silentLogger;
    const foreign: SentFile = { ...file };
    const relabelled: SentFile = { ...file, key: keyB };
    expect(await sendFiles(bot.api, h.storage.files, keyB, target, [foreign], logger)).toBe(false);
    expect(await sendFiles(bot.api, h.storage.files, keyB, target, [relabelled], logger)).toBe(false);
    expect(apiB.calls.filter((c) => /^send(Document|Photo)$/.test(c.method))).toEqual([]);
    // The same file in its own conversation is sent (the check is not just refusing everything).
    const botA = new Bot(apiA.token, { botInfo: apiA.botInfo, client: { apiRoot: apiA.apiRoot } });
    expect(await sendFiles(botA.api, h.storage.files, keyA, target, [file], logger)).toBe(true);
    expect(apiA.callsTo('sendDocument')[0]?.files.document?.content.toString()).toBe(
      'tenant,secret\nalpha,1\n',
    );
  });
});
