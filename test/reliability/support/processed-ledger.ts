import type { QueueHandler, QueuedMessage } from '../../../src/queue/types.js';

/**
 * CANDIDATE FIX (see ../PROPOSAL.md), kept in the test tree until the lead moves it to src/:
 * remember which queued messages were fully handled, so a queue re-delivery of one of them (the
 * consumer died or lost visibility after the reply but before DeleteMessage) is acknowledged
 * without running the turn again. The id is `(tenant, update_id)` — the same idempotency key as
 * the queue's MessageDeduplicationId.
 */
export interface ProcessedLedger {
  has(id: string): Promise<boolean>;
  add(id: string): Promise<void>;
}

export function memoryLedger(): ProcessedLedger & { size(): number } {
  const ids = new Set<string>();
  return {
    has: async (id) => ids.has(id),
    add: async (id) => void ids.add(id),
    size: () => ids.size,
  };
}

export const processedId = (m: Pick<QueuedMessage, 'key' | 'updateId'>): string =>
  `${m.key.tenant}:${m.updateId}`;

/** Wrap the worker's handler: skip messages already handled; record each one handled. */
export function oncePerUpdate(
  handler: QueueHandler,
  ledger: ProcessedLedger,
  onSkip?: (message: QueuedMessage) => void,
): QueueHandler {
  return async (message, delivery) => {
    const id = processedId(message);
    if (delivery.receiveCount > 1 && (await ledger.has(id))) {
      onSkip?.(message);
      return;
    }
    await handler(message, delivery);
    await ledger.add(id);
  };
}
