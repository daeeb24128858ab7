import { systemClock, type Clock } from '../../core/clock.js';
import { createGcra, type Gcra } from './gcra.js';
import { SEND_LIMIT_DEFAULTS, type SendBudget, type SendLimits, type SendMode } from './types.js';

/**
 * Paces one bot's counted calls: per chat (in-process) and per bot (the `SendBudget`, maybe
 * shared). Reservations of one chat are made one after another in call order, so a chat's slots
 * increase with its calls and the parts of a split reply go out in order.
 */
export interface SendPacer {
  /**
   * The time (epoch ms) one call to `chatId` may go, its chat and bot slots taken (`chatId`
   * undefined: the bot's slot only, for calls Telegram does not count per chat); `undefined` in
   * `now` mode when no slot is due within `NOW_SLACK_MS` (nothing taken). Does not sleep.
   */
  schedule(chatId: number | undefined, mode: SendMode): Promise<number | undefined>;
  /** `schedule`, then sleep until the slot: `true` when the call may go now, `false` when it is not to be sent. */
  acquire(chatId: number | undefined, mode: SendMode): Promise<boolean>;
}

export interface SendPacerDeps {
  budget: SendBudget;
  limits?: Partial<Pick<SendLimits, 'chatIntervalMs' | 'groupIntervalMs'>>;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
}

interface ChatState {
  gcra: Gcra;
  /** The reservation in progress (calls of one chat reserve in order). */
  tail: Promise<unknown>;
  /** Calls of this chat reserved or reserving and not yet gone. */
  pending: number;
}

/**
 * A reply that wakes this much after its slot (a busy event loop, a slow store's answer) books
 * again rather than go in the slots of the calls after it: late calls bunch, and bunches are what
 * Telegram answers with 429. At most `MAX_REBOOKS` times, and only when no later call of its chat
 * is waiting (its order comes first).
 */
export const LATE_MS = 25;
const MAX_REBOOKS = 2;

/**
 * How late a `now` call may still go (it waits that little): live updates are timed by their own
 * per-chat interval, a few ms off the pacer's, and must not be skipped for it.
 */
export const NOW_SLACK_MS = 100;

/** Chats kept before idle ones are forgotten. */
const PRUNE_AT = 1000;

export function createSendPacer(deps: SendPacerDeps): SendPacer {
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const chatIntervalMs = deps.limits?.chatIntervalMs ?? SEND_LIMIT_DEFAULTS.chatIntervalMs;
  const groupIntervalMs = deps.limits?.groupIntervalMs ?? SEND_LIMIT_DEFAULTS.groupIntervalMs;
  const chats = new Map<number, ChatState>();

  const chatOf = (chatId: number): ChatState => {
    let chat = chats.get(chatId);
    if (!chat) {
      if (chats.size >= PRUNE_AT) prune(clock.now());
      chat = {
        gcra: createGcra(chatId > 0 ? chatIntervalMs : groupIntervalMs),
        tail: Promise.resolve(),
        pending: 0,
      };
      chats.set(chatId, chat);
    }
    return chat;
  };

  const prune = (now: number): void => {
    for (const [id, chat] of chats) if (chat.pending === 0 && chat.gcra.idleAfter < now) chats.delete(id);
  };

  const reserve = async (chat: ChatState, mode: SendMode): Promise<number | undefined> => {
    const now = clock.now();
    const chatAt = chat.gcra.next(now);
    if (mode === 'now' && chatAt > now + NOW_SLACK_MS) return undefined;
    const at = await deps.budget.reserve(chatAt, mode);
    if (at === undefined) return undefined;
    chat.gcra.take(at);
    return at;
  };

  const schedule = (chatId: number | undefined, mode: SendMode): Promise<number | undefined> => {
    if (chatId === undefined) return deps.budget.reserve(clock.now(), mode);
    const chat = chatOf(chatId);
    const run = chat.tail.then(() => reserve(chat, mode));
    chat.tail = run.catch(() => undefined);
    return run;
  };

  return {
    schedule,
    async acquire(chatId, mode) {
      const chat = chatId === undefined ? undefined : chatOf(chatId);
      if (chat) chat.pending++;
      try {
        for (let booked = 0; ; booked++) {
          const at = await schedule(chatId, mode);
          if (at === undefined) return false;
          const wait = at - clock.now();
          if (wait > 0) await sleep(wait);
          const late = clock.now() - at > LATE_MS;
          if (late && mode === 'wait' && chat?.pending === 1 && booked < MAX_REBOOKS) continue;
          // A call that goes later than its slot paces the chat's next one from when it went.
          chat?.gcra.sentAt(clock.now());
          return true;
        }
      } finally {
        if (chat) chat.pending--;
      }
    },
  };
}
