import { DAY_MS, TURN_LEDGER_RETENTION_DAYS, type Clock } from '../../../core/clock.js';
import { parseRequestId, parseSessionId } from '../../../core/ids.js';
import { turnRecordId } from '../../../core/keys.js';
import type { TurnLedger, TurnRecord } from '../../types.js';

const RETENTION_MS = TURN_LEDGER_RETENTION_DAYS * DAY_MS;

/**
 * The turn ledger in a `Map` keyed by `turnRecordId` (`tenant:chat:thread#requestId`). Records are
 * copied in and out, so callers never alias stored state; expired ones read as absent.
 */
export function createMemoryTurns(records: Map<string, TurnRecord>, clock: Clock): TurnLedger {
  const now = () => Math.floor(clock.now());
  const live = (id: string): TurnRecord | null => {
    const record = records.get(id);
    return record && record.expiresAt > now() ? record : null;
  };

  return {
    async get(key, requestId) {
      const record = live(turnRecordId(key, requestId));
      return record ? { ...record } : null;
    },
    async begin(key, requestId, start) {
      const id = turnRecordId(key, requestId);
      const t = now();
      const record: TurnRecord = {
        key,
        requestId: parseRequestId(requestId),
        state: 'started',
        sessionId: parseSessionId(start.sessionId),
        entriesBefore: start.entriesBefore,
        turnsBefore: start.turnsBefore,
        startedAt: t,
        delivered: false,
        expiresAt: t + RETENTION_MS,
      };
      records.set(id, record);
      return { ...record };
    },
    async complete(key, requestId, result) {
      const id = turnRecordId(key, requestId);
      const record = live(id);
      if (!record) return null;
      const t = now();
      const next: TurnRecord = {
        ...record,
        state: 'done',
        result,
        completedAt: t,
        expiresAt: t + RETENTION_MS,
      };
      records.set(id, next);
      return { ...next };
    },
    async markDelivered(key, requestId) {
      const id = turnRecordId(key, requestId);
      const record = live(id);
      if (!record || record.state !== 'done') return false;
      records.set(id, { ...record, delivered: true });
      return true;
    },
  };
}
