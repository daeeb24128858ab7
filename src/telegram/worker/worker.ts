import { Api, GrammyError, InputFile } from 'grammy';
import type { AgentRunner, MergedMessage, TurnRequest, TurnResult } from '../../agent/types.js';
import type { StoredFile } from '../../files/types.js';
import { DeliveryDeferredError } from '../../core/delivery-deferred.js';
import { OmniError, errorMessage } from '../../core/errors.js';
import { QueueMessageFormatError } from '../../queue/errors.js';
import { conversationKeyString, type ConversationKey } from '../../core/keys.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type {
  AgentWork,
  ApprovalWork,
  Delivery,
  TelegramWork,
  QueueHandler,
  QueuedMessage,
  TelegramSource,
} from '../../queue/types.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { TelegramApprovals } from '../approvals/index.js';
import { createWorkerApprovals } from './approvals.js';
import { createConversationCommands } from './conversations.js';
import { deliverWithRetry } from './deliver.js';
import { failureText } from './error-text.js';
import { createLiveReply, type LiveOptions } from './live/index.js';
import { messageContextOf } from './message-context.js';
import { deferralOf, type ReplyOutbox } from './outbox.js';
import { createProactiveHandler, type ProactiveStores } from './proactive.js';
import { receiveFiles, type NotReceived, type WorkerFiles } from './receive-files.js';
import { sendPlain, type ReplyTarget } from './reply.js';
import { sendFiles } from './send-files.js';
import { texts } from './texts.js';
import { startTyping, TYPING_INTERVAL_MS } from './typing.js';
import type {
  ConversationControl,
  ConversationUsage,
  PeriodSpend,
  TranscriptExporter,
  UsageReader,
} from './types.js';

export interface TelegramWorkerDeps {
  /** `bot.api` (with auto-retry installed by `createTelegramBot`). */
  api: Api;
  runner: AgentRunner;
  /** For `/debug`; without it the command says it is unavailable. */
  exportTranscript?: TranscriptExporter;
  /** For `/cost`; without it the command says it is unavailable. */
  usage?: UsageReader;
  /**
   * Conversation management (issue 17): `/sessions` and its switch buttons, `/model`, `/agent`,
   * and `/debug`'s settings part. Without it those commands say they are unavailable.
   */
  conversations?: ConversationControl;
  /**
   * `api` without auto-retry, for live updates (drafts, edits, "typing…") that must skip rather
   * than sleep on a 429. Default: a plain `Api` on the same token and client options.
   */
  liveApi?: Api;
  /** Streamed answers and tool progress (`TELEGRAM_LIVE_*`); default on. */
  live?: LiveOptions;
  typingIntervalMs?: number;
  /**
   * Approval requests (issue 14): a turn that ends waiting for a person is shown with its three
   * buttons; decisions are continued and their messages updated; `/debug` lists them. Without it
   * a pending request is shown as plain text without buttons.
   */
  approvals?: TelegramApprovals;
  /**
   * Files (issue 15): photos and documents are downloaded into the conversation's folder and the
   * durable store before the turn, and the files the agent sends are delivered after its answer.
   * Without it a message's files get a "not available here" reply (its caption is still answered).
   */
  files?: WorkerFiles;
  /**
   * Scheduled runs and alert investigations (issue 16, `./proactive.js`): the schedule store and the
   * claims that make each run's topic, opening message and notices happen once. Without it such an
   * item is refused as a format error (dead-lettered).
   */
  proactive?: ProactiveStores;
  /**
   * The reply outbox: with it, a turn whose queue delivery may be deferred (`Delivery.defer`) and
   * whose bot's next send slot is far (`ReplyOutbox.deferAfterMs`) is not answered now: its
   * recorded result is sent when the queue brings the message back. Without it replies wait.
   */
  outbox?: ReplyOutbox;
  clock?: Clock;
  logger?: Logger;
}

/** One live turn: the conversation it runs in, its ledger id, and how its result is shown. */
export interface LiveTurn {
  key: ConversationKey;
  /** The turn ledger's id (`tg:<update>`, `sch:<schedule>:<due>`, `ev:<event>`). */
  requestId: string;
  /** A decision continuing a deferred call (the request's message is edited). */
  approval?: ApprovalWork;
  /** Shows some results its own way instead (a proactive run's budget notice); `true` = handled. */
  intercept?: (result: TurnResult) => Promise<boolean>;
  /** The queue may bring this work back later (`Delivery.defer`): a reply whose slot is far is deferred. */
  defer?: boolean;
}

/** Runs a turn with a live reply in `target` and delivers its result under the lease. */
export type RunLive = (
  turn: LiveTurn,
  target: ReplyTarget,
  request: Omit<TurnRequest, 'key' | 'requestId' | 'deliver' | 'onEvent'>,
) => Promise<void>;

/**
 * The queue consumer's handler: runs the queued work of one conversation and replies in the right
 * chat and topic. Transient failures are rethrown (the queue retries, and dead-letters after the
 * last receive — the user is told then); permanent ones are told to the user and acknowledged.
 * Once a turn has run, reply-sending problems are logged, never rethrown (no duplicate turns).
 * Turns carry the update id as `requestId`: a queue re-delivery of an update whose turn already
 * ran gets the recorded result from the runner and sends it only if it was not sent before.
 */
export function createTelegramWorker(deps: TelegramWorkerDeps): QueueHandler {
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? systemClock;
  const { api } = deps;
  const liveApi = deps.liveApi ?? new Api(api.token, api.options);
  const approvals = deps.approvals
    ? createWorkerApprovals({ api, approvals: deps.approvals, clock, logger })
    : undefined;

  /** Sends a status message; `false` (logged, never thrown) if it could not be sent. */
  const notify = (target: ReplyTarget, text: string): Promise<boolean> =>
    sendPlain(api, target, text).then(
      () => true,
      (err: unknown) => {
        logger.error('telegram: could not send a status message', {
          chatId: target.chatId,
          error: errorMessage(err),
        });
        return false;
      },
    );

  const manage = createConversationCommands({
    api,
    conversations: deps.conversations,
    notify,
    showCancelled: approvals?.showCancelled,
    clock,
    logger,
  });

  const warnIfFailed = (key: QueuedMessage['key'], result: TurnResult): void => {
    if (!result.is_error) return;
    logger.warn('telegram: turn ended with an error', {
      conversation: conversationKeyString(key),
      code: result.error_code,
      error: result.error_message,
    });
  };

  /**
   * A turn with a live reply (an agent message, a decision continuing a deferred call, a proactive
   * run). The answer, the request the turn ended on (its buttons) and the edits of requests it
   * resolved are delivered under the conversation's lease, so a re-delivery that finds them sent
   * sends nothing.
   */
  const runLive: RunLive = async (turn, target, request) => {
    const live = createLiveReply({
      api,
      liveApi,
      target,
      ...(deps.live ? { options: deps.live } : {}),
      ...(deps.typingIntervalMs !== undefined ? { typingIntervalMs: deps.typingIntervalMs } : {}),
      logger,
    });
    const work = turn.approval;
    const deliverAll = async (result: TurnResult): Promise<boolean> => {
      warnIfFailed(turn.key, result);
      // A result the caller shows its own way (nothing was streamed for it: a refusal before the turn).
      if (turn.intercept && (await turn.intercept(result))) return true;
      if (work && result.error_code === 'approval_unavailable' && approvals) {
        // A double tap: the first decision's turn answers; this one says nothing more.
        if (!(await approvals.showUnavailable(work, result))) return true;
      }
      const answered = (await live.finish(result)) && (await deliverFiles(turn.key, target, result));
      if (!approvals) {
        if (result.pending_approval) {
          await notify(target, `${texts.approvalNeeded}: ${result.pending_approval.summary}`);
        }
        return answered;
      }
      await approvals.showResolved(turn.key, result, work);
      const shown = await approvals.showPending(turn.key, result, target);
      return answered && shown;
    };
    // The runner calls this under the conversation's lease, so a re-delivery of the same update
    // (which waits for the lease) sees the reply recorded as sent and does not send it again.
    let handed = false;
    const deliverUnderLease = async (result: TurnResult): Promise<boolean> => {
      // Before anything of the answer is sent: a far slot frees the worker (the ledger has the result).
      const until = turn.defer && deps.outbox ? await deferralOf(deps.outbox, clock.now()) : undefined;
      if (until !== undefined) throw new DeliveryDeferredError(until);
      handed = true;
      return deliverAll(result);
    };
    try {
      const result = await deps.runner.runTurn({
        key: turn.key,
        ...request,
        requestId: turn.requestId,
        deliver: deliverUnderLease,
        ...(deps.live?.enabled === false ? {} : { onEvent: live.onEvent }),
      });
      if (handed) return;
      if (result.delivered === true) {
        logger.info('telegram: re-delivered work already answered; nothing sent', {
          conversation: conversationKeyString(turn.key),
          requestId: turn.requestId,
        });
        return;
      }
      // A runner that does not deliver (or an older one): send here and record it.
      if (await deliverAll(result)) {
        await deps.runner.markDelivered?.(turn.key, turn.requestId);
      }
    } finally {
      await live.close();
    }
  };

  /** The agent's files (`send_file`), after its answer, inside the same delivery under the lease. */
  const deliverFiles = async (
    key: QueuedMessage['key'],
    target: ReplyTarget,
    result: TurnResult,
  ): Promise<boolean> => {
    if (!result.files?.length) return true;
    if (!deps.files) {
      logger.error('telegram: the agent sent files but this worker has no file store', {
        count: result.files.length,
      });
      return true;
    }
    return sendFiles(api, deps.files.store, key, target, result.files, logger);
  };

  /**
   * Downloads the files of the turn's messages (each message's own, in order). Those that did not
   * arrive are told to the user at once, naming each file and why.
   */
  const receiveAll = async (
    key: AgentWork['key'],
    parts: readonly AgentWork[],
    target: ReplyTarget,
  ): Promise<Array<StoredFile[] | undefined>> => {
    const sent = parts.flatMap((p) => p.attachments ?? []);
    if (sent.length === 0) return parts.map(() => undefined);
    const dir = deps.files && (await deps.runner.filesDir?.(key));
    if (!deps.files || dir === undefined) {
      await notify(target, texts.filesUnavailable(sent.length));
      return parts.map(() => undefined);
    }
    const missing: NotReceived[] = [];
    const stored: Array<StoredFile[] | undefined> = [];
    // "typing…" while the files arrive (a large one takes seconds); the live reply takes over after.
    const stopTyping = startTyping(liveApi, target, deps.typingIntervalMs ?? TYPING_INTERVAL_MS);
    try {
      for (const part of parts) {
        if (!part.attachments?.length) {
          stored.push(undefined);
          continue;
        }
        const got = await receiveFiles({
          api,
          files: deps.files,
          key,
          dir,
          attachments: part.attachments,
          logger,
        });
        stored.push(got.stored);
        missing.push(...got.missing);
      }
    } finally {
      stopTyping();
    }
    if (missing.length > 0) {
      const answered = parts.some((p, i) => p.text.trim() !== '' || (stored[i]?.length ?? 0) > 0);
      await notify(
        target,
        texts.filesNotReceived(
          missing.map((m) => m.text),
          answered,
        ),
      );
    }
    return stored;
  };

  const runAgent = async (message: AgentWork, target: ReplyTarget, defer: boolean): Promise<void> => {
    const parts = [message, ...(message.merged ?? [])];
    // A re-delivery of an update whose turn is recorded: the runner answers it from the turn
    // ledger without reading any file, so its files are not downloaded (and stored) again.
    const repeat =
      parts.some((p) => p.attachments?.length) &&
      (await deps.runner.answered?.(message.key, telegramRequestId(message.source))) === true;
    const files = repeat ? parts.map(() => undefined) : await receiveAll(message.key, parts, target);
    const withFiles = (i: number) => (files[i]?.length ? { attachments: files[i] } : {});
    // Files were sent but none arrived and no message has text: there is nothing to answer.
    const anything = parts.some((p, i) => p.text.trim() !== '' || (files[i]?.length ?? 0) > 0);
    if (!anything && !repeat) return;
    const merged: MergedMessage[] = (message.merged ?? []).map((m, i) => ({
      text: m.text,
      messageTime: new Date(m.messageTime),
      requestId: telegramRequestId(m.source),
      ...messageContextOf(m),
      ...withFiles(i + 1),
    }));
    const turn = { key: message.key, requestId: telegramRequestId(message.source), defer };
    await runLive(turn, target, {
      text: message.text,
      messageTime: new Date(message.messageTime),
      ...(message.source.userId !== undefined ? { userId: String(message.source.userId) } : {}),
      // Who said it and what it answers (issue 17); each merged message keeps its own.
      ...messageContextOf(message),
      ...withFiles(0),
      // Messages that waited behind a running turn, answered together (queue/merge.ts).
      ...(merged.length > 0 ? { merged } : {}),
    });
  };

  /** A tap on an approval button: continue the deferred call with the decision. */
  const runApproval = (message: ApprovalWork, target: ReplyTarget, defer: boolean): Promise<void> => {
    const by = String(message.source.userId ?? '');
    return runLive(
      { key: message.key, requestId: telegramRequestId(message.source), approval: message, defer },
      target,
      {
        text: '',
        ...(message.source.userId !== undefined ? { userId: by } : {}),
        approval: { id: message.approvalId, decision: message.decision, by },
      },
    );
  };

  const sendTranscript = async (message: TelegramWork, target: ReplyTarget): Promise<void> => {
    const state = [
      await manage.debugText(message.key),
      approvals ? await approvals.debugText(message.key) : undefined,
    ].filter((part) => part !== undefined);
    if (state.length > 0) await notify(target, state.join('\n\n'));
    if (!deps.exportTranscript) return void (await notify(target, texts.debugUnavailable));
    const files = await deps.exportTranscript(message.key);
    if (files.length === 0) return void (await notify(target, texts.debugNone));
    for (const file of files) {
      const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
      await deliverWithRetry(
        () =>
          api.sendDocument(target.chatId, new InputFile(bytes, file.filename), {
            ...(target.threadId !== undefined ? { message_thread_id: target.threadId } : {}),
          }),
        logger,
      );
    }
  };

  const sendUsage = async (message: TelegramWork, target: ReplyTarget): Promise<void> => {
    if (!deps.usage) return void (await notify(target, texts.costUnavailable));
    const usage = await deps.usage(message.key, message.source.userId);
    await notify(target, usage ? formatUsage(usage) : texts.costNone);
  };

  /** One case per kind of work: a new kind fails to compile until it is handled here. */
  const run = async (message: TelegramWork, target: ReplyTarget, delivery: Delivery): Promise<void> => {
    const defer = delivery.defer === true;
    switch (message.kind) {
      case 'agent':
        // A merged turn answers the newest of its messages.
        return runAgent(message, message.merged?.at(-1)?.source.replyTo ?? target, defer);
      case 'reset': {
        const reset = await deps.runner.resetConversation(message.key);
        await notify(target, texts.resetDone);
        if (reset && reset.cancelledApproval)
          await approvals?.showCancelled(message.key, reset.cancelledApproval);
        return;
      }
      case 'approval':
        return runApproval(message, target, defer);
      case 'debug':
        return sendTranscript(message, target);
      case 'cost':
        return sendUsage(message, target);
      case 'sessions':
        return manage.listSessions(message, target);
      case 'switch':
        return manage.switchSession(message, target);
      case 'setting':
        return manage.setting(message, target);
      default:
        return unknownKind(message);
    }
  };

  const proactive = deps.proactive
    ? createProactiveHandler({
        api,
        stores: deps.proactive,
        runLive,
        isTransient: isTransientError,
        clock,
        logger,
      })
    : undefined;

  return async (message: QueuedMessage, delivery: Delivery) => {
    if (message.kind === 'scheduled' || message.kind === 'alert') {
      if (!proactive) {
        throw new QueueMessageFormatError(
          `[telegram:worker] a ${message.kind} run reached a worker without schedules and events configured`,
        );
      }
      return proactive(message, delivery);
    }
    const target: ReplyTarget = message.source.replyTo;
    try {
      await run(message, target, delivery);
    } catch (err) {
      if (err instanceof DeliveryDeferredError) {
        // Not a failure: the reply is recorded and comes back with the message; the user is told nothing.
        logger.info('telegram: reply deferred until its bot has a send slot', {
          conversation: conversationKeyString(message.key),
          kind: message.kind,
          receiveCount: delivery.receiveCount,
          untilMs: err.untilMs,
        });
        throw err;
      }
      const transient = isTransientError(err);
      const last = delivery.receiveCount >= delivery.maxReceives;
      logger.error('telegram: queued message failed', {
        conversation: conversationKeyString(message.key),
        kind: message.kind,
        receiveCount: delivery.receiveCount,
        transient,
        error: errorMessage(err),
      });
      if (transient && !last) throw err;
      await notify(target, failureText(err));
      if (transient) throw err; // last receive: let it reach the dead-letter queue
    }
  };
}

/** Retries, unknown errors included; permanent: validation/conflict errors that will not change. */
export function isTransientError(err: unknown): boolean {
  if (err instanceof OmniError) {
    return err.status >= 500 || err.code === 'conversation_busy' || err.code === 'fenced_write';
  }
  if (err instanceof GrammyError) return err.error_code >= 500 || err.error_code === 429;
  return true;
}

export function formatUsage(u: ConversationUsage): string {
  const tokens = (n: number): string => n.toLocaleString('en-US');
  const turns = (n: number): string => `${n} turn${n === 1 ? '' : 's'}`;
  const spend = (p: PeriodSpend): string => `$${p.costUsd.toFixed(4)} (${turns(p.turns)})`;
  const lines = [`This conversation: ${turns(u.turns)}, $${u.costUsd.toFixed(4)}`];
  if (u.periods) lines.push(`  today ${spend(u.periods.day)}, this month ${spend(u.periods.month)}`);
  lines.push(
    `Tokens — input ${tokens(u.inputTokens)}, output ${tokens(u.outputTokens)}, ` +
      `cache read ${tokens(u.cacheReadTokens)}, cache write ${tokens(u.cacheCreationTokens)}`,
  );
  if (u.user) {
    lines.push(
      `You: today ${spend(u.user.day)}, this month ${spend(u.user.month)}, all time ${spend(u.user.all)}`,
    );
  }
  return lines.join('\n');
}

/** The turn ledger's id of a Telegram message: the update id (the tenant is part of the conversation key). */
export function telegramRequestId(source: Pick<TelegramSource, 'updateId'>): string {
  return `tg:${source.updateId}`;
}

function unknownKind(message: never): never {
  throw new QueueMessageFormatError(
    `[telegram:worker] no handler for work item kind ${String((message as { kind?: unknown }).kind)}`,
  );
}
