import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { RequestId, SessionId } from '../core/ids.js';
import { projectKeyForTenant, type ConversationKey } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import type { SessionKey, Storage, TurnRecord } from '../sessions/types.js';
import { recoverReply } from './recover.js';
import {
  decodeMergedMarker,
  decodeTurnResult,
  encodeMergedMarker,
  encodeTurnResult,
  interruptedResult,
  mergedResult,
  recoveredResult,
  type MergedMarker,
} from './turn-ledger.js';
import type { TurnResult } from './types.js';

/**
 * Exactly-once turns per (conversation, request id), through the storage's turn ledger. Every
 * method runs under the conversation's lease (the caller holds it), so the check and the turn are
 * serialized with any other attempt of the same message.
 */
export interface ExactlyOnce {
  /**
   * What an earlier attempt of this request left: a result to return instead of running the turn
   * (`replayed` set), or `null` when the turn must run (no record, or a `started` record whose
   * attempt stored nothing).
   */
  prior(key: ConversationKey, requestId: RequestId, startedAt: number): Promise<TurnResult | null>;
  /**
   * Record the turn as started, with what is needed to tell later whether it was stored; `merged`
   * are the request ids of later messages merged into this turn (each recorded as answered by it).
   */
  begin(
    key: ConversationKey,
    requestId: RequestId,
    turn: { sessionId: SessionId; resumed: boolean; turnsBefore: number; entriesBefore?: number },
    merged?: readonly RequestId[],
  ): Promise<void>;
  /** Record the result (a repeat then gets it back without running anything). */
  complete(key: ConversationKey, requestId: RequestId, result: TurnResult): Promise<void>;
  /** Mark the recorded result delivered; never throws (logged): the reply is already out. */
  markDelivered(key: ConversationKey, requestId: RequestId): Promise<void>;
}

export function createExactlyOnce(deps: { storage: Storage; clock: Clock; logger: Logger }): ExactlyOnce {
  const { storage, clock, logger } = deps;
  const mainKey = (key: ConversationKey, sessionId: string): SessionKey => ({
    projectKey: projectKeyForTenant(key.tenant),
    sessionId,
  });

  /** A `started` record whose main transcript grew: the turn was stored — finish it, never run it again. */
  async function recover(record: TurnRecord, startedAt: number): Promise<TurnResult> {
    const { key, requestId, sessionId } = record;
    const entries = (await storage.transcripts.load(mainKey(key, sessionId))) ?? [];
    const reply = recoverReply(entries.slice(record.entriesBefore));
    const durationMs = clock.now() - startedAt;
    const result = reply
      ? recoveredResult({ text: reply.text, model: reply.model, sessionId, durationMs })
      : interruptedResult({ sessionId, durationMs });
    // The stored turn is committed: the map points at its session (once — the earlier attempt may
    // have touched it before it died).
    const mapped = await storage.conversations.get(key);
    const touched = mapped !== null && mapped.sessionId === sessionId && mapped.turns > record.turnsBefore;
    if (!touched) {
      await storage.conversations.touch(key, sessionId);
      // The catalog learns the turn too (its cost died with the attempt; best effort, as the runner's).
      await storage.sessions
        .recordTurn(key, sessionId, { at: clock.now(), title: '', costUsd: 0, model: reply?.model ?? null })
        .catch((err: unknown) =>
          logger.warn('the session catalog could not record a recovered turn', { error: errorMessage(err) }),
        );
    }
    await storage.turns.complete(key, requestId, encodeTurnResult(result));
    logger.warn('turn recovered from an interrupted attempt (not run again)', {
      request_id: requestId,
      session_id: sessionId,
      reply_recovered: reply !== null,
      map_touched: !touched,
    });
    return { ...result, replayed: 'recovered', delivered: false };
  }

  /**
   * A message merged into another message's turn: answered by it (nothing to run or send) while
   * that turn's record is the attempt the merge was written for; else it runs on its own.
   */
  async function answeredByMerge(
    key: ConversationKey,
    record: TurnRecord,
    merged: MergedMarker,
    startedAt: number,
  ): Promise<TurnResult | null> {
    const into = await storage.turns.get(key, merged.merged_into as RequestId);
    if (into === null || into.startedAt !== merged.attempt) {
      logger.info('merged message: its turn was run again without it; running it on its own', {
        request_id: record.requestId,
        merged_into: merged.merged_into,
      });
      return null;
    }
    logger.info('merged message: answered by the turn it was merged into (not run again)', {
      request_id: record.requestId,
      merged_into: merged.merged_into,
    });
    const result = mergedResult({
      sessionId: record.sessionId,
      durationMs: clock.now() - startedAt,
    });
    return { ...result, replayed: 'done', delivered: true };
  }

  return {
    async prior(key, requestId, startedAt) {
      const record = await storage.turns.get(key, requestId);
      if (record === null) return null;
      if (record.state === 'done') {
        const merged = decodeMergedMarker(record.result);
        if (merged) return answeredByMerge(key, record, merged, startedAt);
        const stored = decodeTurnResult(record.result);
        const result =
          stored ?? interruptedResult({ sessionId: record.sessionId, durationMs: clock.now() - startedAt });
        logger.info('repeated request answered from the turn ledger (not run again)', {
          request_id: requestId,
          delivered: record.delivered,
        });
        return {
          ...result,
          duration_ms: clock.now() - startedAt,
          replayed: 'done',
          delivered: record.delivered,
        };
      }
      const stat = await storage.transcripts.stat(mainKey(key, record.sessionId));
      if ((stat?.entries ?? 0) > record.entriesBefore) return recover(record, startedAt);
      logger.info('earlier attempt stored nothing; running the turn', { request_id: requestId });
      return null;
    },

    async begin(key, requestId, turn, merged = []) {
      // A live process knows how many entries it stored: no stat needed.
      const entriesBefore =
        turn.entriesBefore ??
        (turn.resumed ? ((await storage.transcripts.stat(mainKey(key, turn.sessionId)))?.entries ?? 0) : 0);
      const record = await storage.turns.begin(key, requestId, {
        sessionId: turn.sessionId,
        entriesBefore,
        turnsBefore: turn.turnsBefore,
      });
      // Before the agent is asked: once the merged prompt may be stored, a re-delivery of a merged
      // message must find that this attempt answers it.
      const marker = encodeMergedMarker({ merged_into: requestId, attempt: record.startedAt });
      await Promise.all(
        merged.map(async (id) => {
          await storage.turns.begin(key, id, {
            sessionId: turn.sessionId,
            entriesBefore,
            turnsBefore: turn.turnsBefore,
          });
          await storage.turns.complete(key, id, marker);
        }),
      );
    },

    async complete(key, requestId, result) {
      await storage.turns.complete(key, requestId, encodeTurnResult(result));
    },

    async markDelivered(key, requestId) {
      try {
        await storage.turns.markDelivered(key, requestId);
      } catch (err) {
        logger.warn('could not record the reply as delivered; a re-delivery would send it again', {
          request_id: requestId,
          error: errorMessage(err),
        });
      }
    },
  };
}
