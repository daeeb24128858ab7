import type { TurnEvent, TurnResult } from '../../../agent/types.js';

/** How live replies behave (`TelegramWorkerDeps.live`; env `TELEGRAM_LIVE_*`). */
export interface LiveOptions {
  /** Stream the answer and show tool progress (default true); off = "typing…" then the final answer. */
  enabled?: boolean;
  /** Least time between two live updates (draft, edit, status) in a private chat (default 1100 ms: Telegram's ~1 a second, plus a margin for network jitter). */
  editIntervalMs?: number;
  /** The same in groups and forum topics (default 3100 ms: within Telegram's 20 messages a minute, plus the same margin). */
  groupEditIntervalMs?: number;
  /** Say "no progress" in the status message after this long without an event (default 60 000 ms). */
  stallNoticeMs?: number;
}

export const LIVE_DEFAULTS: Required<LiveOptions> = {
  enabled: true,
  editIntervalMs: 1100,
  groupEditIntervalMs: 3100,
  stallNoticeMs: 60_000,
};

/**
 * One turn's live reply in one chat: fed the turn's events, then finished with its result. Every
 * intermediate update is best effort (a refusal degrades the view, never fails the turn); the
 * final answer is what `finish` reports.
 */
export interface LiveReply {
  /** `TurnRequest.onEvent`: never throws, never blocks (updates are sent in the background). */
  onEvent(event: TurnEvent): void;
  /**
   * Show the turn's result as its final answer (exactly once): waits for the live update in
   * flight, then sends. `true` once the whole answer reached Telegram. A turn that ended waiting
   * for an approval with nothing to say sends nothing here (its request is shown by the worker);
   * its deferred call shows as waiting in the status summary.
   */
  finish(result: TurnResult): Promise<boolean>;
  /** Stop timers and "typing…", and tidy the status message (remove the Stop button). Idempotent. */
  close(): Promise<void>;
}
