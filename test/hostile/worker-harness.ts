import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, GrammyError } from 'grammy';
import { partsMessage } from '../../src/agent/options.js';
import type { AgentRunner, TurnRequest, TurnResult } from '../../src/agent/types.js';
import { withAttachmentNotes } from '../../src/agent/user-content.js';
import { proactiveStoresOf } from '../../src/app/proactive.js';
import { telegramApprovalsOf } from '../../src/app/telegram-approvals.js';
import { createConversationService } from '../../src/conversations/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { OmniError, errorMessage } from '../../src/core/errors.js';
import { parseRequestId } from '../../src/core/ids.js';
import { turnRecordId } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { conversationFilesDir } from '../../src/files/paths.js';
import { DEFAULT_FILE_POLICY } from '../../src/files/types.js';
import { decodeQueuedMessage } from '../../src/queue/message.js';
import type { Delivery, QueueHandler, QueuedMessage } from '../../src/queue/types.js';
import { createSqliteStorage, type SqliteStorage } from '../../src/sessions/adapters/sqlite/index.js';
import { createTelegramWorker } from '../../src/telegram/worker/worker.js';
import { DEFAULT_MODEL_ALIASES } from '../../src/tenants/models.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { fakeTurnResult } from '../support/turn-result.js';

/**
 * The real Telegram worker over real SQLite storage and the fake Bot API, for the bounds suites: a
 * decoded work item goes through the handler the Lambda / consumer calls, with conversations,
 * approvals, files and proactive runs wired like production. The runner is a stand-in that does
 * what the real runner does with a request before the model sees it (request ids → ledger keys,
 * times, senders, quotes and file notes → the SDK user message), so a value that breaks those
 * conversions fails here as it would in production — without spawning `claude` per case.
 */
export interface WorkerHarness {
  api: FakeTelegramApi;
  storage: SqliteStorage;
  /** The turns the stand-in runner was asked for (conversions done). */
  readonly turns: TurnRequest[];
  /** Decodes `body` like the SQS consumer and hands it to the worker; the outcome label. */
  handleBody(body: string): Promise<WorkerOutcome>;
  /** Hands an item already decoded to the worker. */
  handle(message: QueuedMessage): Promise<WorkerOutcome>;
  close(): Promise<void>;
}

/**
 * `ok` (handled), `refused <code>` (a clear error the item can never pass: dead-lettered),
 * `notified` (the worker told the user a permanent failure), or `internal` — the bug class.
 */
export interface WorkerOutcome {
  label: string;
  internal?: string;
}

const FIRST: Delivery = { receiveCount: 1, maxReceives: 5 };
/** Words of an error that escaped a conversion: never acceptable after a value was accepted. */
const INTERNAL_RE =
  /Invalid time value|RangeError|TypeError|is not a function|Cannot read|Maximum call stack/;

export async function startWorkerHarness(now = Date.UTC(2026, 11, 2, 9, 0)): Promise<WorkerHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'omni-bounds-'));
  const api = await startFakeTelegramApi();
  const storage = createSqliteStorage({ dataDir: join(dir, 'data') });
  const clock = new ManualClock(now);
  const logged: string[] = [];
  const logger = createLogger({ level: 'error', write: (line) => logged.push(line) });
  const turns: TurnRequest[] = [];
  const runner = standInRunner(turns, join(dir, 'workspace'));
  const worker: QueueHandler = createTelegramWorker({
    api: new Api(api.token, { apiRoot: api.apiRoot }),
    runner,
    conversations: createConversationService({
      storage,
      choices: async () => ({ models: DEFAULT_MODEL_ALIASES, defaultModel: undefined, agents: ['reviewer'] }),
      logger,
    }),
    approvals: telegramApprovalsOf(storage),
    files: { store: storage.files, policy: () => DEFAULT_FILE_POLICY, downloadTimeoutMs: 5_000 },
    proactive: proactiveStoresOf(storage),
    live: { enabled: false },
    typingIntervalMs: 60_000,
    clock,
    logger,
  });

  const handle = async (message: QueuedMessage): Promise<WorkerOutcome> => {
    logged.length = 0;
    try {
      await worker(message, FIRST);
    } catch (err) {
      if (err instanceof OmniError && err.status < 500) return { label: `refused ${err.code}` };
      const name = err instanceof GrammyError ? `GrammyError ${err.error_code}` : (err as Error).name;
      return { label: 'internal', internal: `${name}: ${errorMessage(err)}` };
    }
    // A permanent failure is told to the user and logged; its words must not be a conversion's.
    const failure = logged.find((l) => l.includes('queued message failed'));
    if (failure) {
      const error = (JSON.parse(failure) as { error?: string }).error ?? '';
      if (INTERNAL_RE.test(error)) return { label: 'internal', internal: error };
      return { label: `notified ${error.replace(/[^A-Za-z :[\]]/g, '').slice(0, 40)}` };
    }
    return { label: 'ok' };
  };

  return {
    api,
    storage,
    turns,
    handle,
    async handleBody(body) {
      let message: QueuedMessage;
      try {
        message = decodeQueuedMessage(body);
      } catch (err) {
        if (err instanceof OmniError && err.status < 500) return { label: `refused ${err.code}` };
        return { label: 'internal', internal: `decode: ${errorMessage(err)}` };
      }
      return handle(message);
    },
    async close() {
      await api.close();
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A runner that converts the request like `createAgentRunner` does before it calls the SDK: the
 * request ids into ledger keys, each part (time, sender, quote, file notes) into the SDK user
 * message. It answers with a short text (delivered under the "lease" when asked).
 */
function standInRunner(turns: TurnRequest[], workspace: string): AgentRunner {
  return {
    async runTurn(request): Promise<TurnResult> {
      turns.push(request);
      if (request.requestId !== undefined) turnRecordId(request.key, parseRequestId(request.requestId));
      for (const m of request.merged ?? []) if (m.requestId !== undefined) parseRequestId(m.requestId);
      const parts = [request, ...(request.merged ?? [])].map((m) =>
        withAttachmentNotes(
          {
            text: m.text,
            messageTime: m.messageTime,
            ...(m.sender ? { sender: m.sender } : {}),
            ...(m.quote ? { quote: m.quote } : {}),
            ...(m.attachments?.length ? { attachments: m.attachments } : {}),
          },
          workspace,
        ),
      );
      const message = partsMessage(parts);
      JSON.stringify(message);
      const result = fakeTurnResult({ response: `ok (${parts.length} part(s))` });
      if (!request.deliver) return result;
      return { ...result, delivered: await request.deliver(result) };
    },
    async resetConversation() {},
    filesDir: async (key) => conversationFilesDir(workspace, key),
  };
}
