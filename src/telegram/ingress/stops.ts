import type { ConversationKey } from '../../core/keys.js';

/**
 * What the ingress needs to stop a turn out of band and to see whether one is running: the
 * conversation's lease (the sessions' `LeaseManager` fills it; telegram/ never imports sessions/).
 * `/stop` and the Stop button act here at once, never through the per-conversation queue, which
 * the running turn blocks.
 */
export interface TurnStops {
  /**
   * Ask the turn holding the conversation to stop; with `turn`, only that turn (a lease token):
   * a button of a turn that already ended stops nothing.
   */
  requestStop(
    key: ConversationKey,
    options?: { turn?: number },
  ): Promise<{ stopping: true; turn: number } | { stopping: false }>;
  /** The turn running in the conversation now, or null. */
  current(key: ConversationKey): Promise<{ turn: number } | null>;
}

/** `callback_data` of a turn's Stop button: `stop:<turn>`, the turn a positive safe integer. */
const STOP_DATA = /^stop:([1-9][0-9]{0,15})$/;

/** The button data of turn `turn` (1–64 bytes, as Telegram requires). */
export function stopButtonData(turn: number): string {
  return `stop:${turn}`;
}

/** The turn a Stop button names, or undefined for anything else (parsed strictly: never trusted). */
export function parseStopData(data: string): number | undefined {
  const match = STOP_DATA.exec(data);
  if (!match) return undefined;
  const turn = Number(match[1]);
  return Number.isSafeInteger(turn) ? turn : undefined;
}
