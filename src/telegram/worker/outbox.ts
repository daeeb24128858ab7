/**
 * The reply outbox (docs/scale.md §8.8): a finished turn whose bot is booked far ahead does not
 * hold its worker until the reply's send slot. Its result is already recorded in the turn ledger;
 * the worker throws `DeliveryDeferredError` and the queue brings the message back at the slot,
 * when the recorded result is delivered without running the model again.
 */
export interface ReplyOutbox {
  /** When (epoch ms) the bot's next send slot is, nothing taken (`SendBudget.nextSlot`; never rejects). */
  nextSlot(now: number): Promise<number>;
  /** Defer only a reply whose slot is more than this far away (default `DEFER_AFTER_MS`). */
  deferAfterMs?: number;
}

/** A reply waits in-process for a slot up to 10 s away; a later one is deferred. */
export const DEFER_AFTER_MS = 10_000;

/** The slot time to defer a reply to, or `undefined` when it is near enough to wait for. */
export async function deferralOf(outbox: ReplyOutbox, now: number): Promise<number | undefined> {
  const at = await outbox.nextSlot(now);
  return at - now > (outbox.deferAfterMs ?? DEFER_AFTER_MS) ? at : undefined;
}
