import type { ChatId, TenantId, ThreadId } from '../core/ids.js';

/** Token counts of one turn (or a sum of turns). */
export interface TokenCounts {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

/** One completed agent turn, as recorded by `UsageStore.record`. */
export interface UsageTurn {
  tenant: TenantId;
  chat: ChatId;
  thread: ThreadId;
  /** Telegram user id (or API caller id) of whoever sent the message; omitted for anonymous callers. */
  userId?: string | number;
  /** SDK session id of the turn ('' when the turn failed before a session existed). */
  sessionId: string;
  /** Model id or alias the turn ran on (`null` when the model never answered). */
  model: string | null;
  tokens: TokenCounts;
  /** Cost in USD as reported by the SDK; stored as integer micro-dollars so sums are exact. */
  costUsd: number;
  durationMs: number;
  /** When the turn finished (epoch ms). Decides the day and month it is counted in (UTC). */
  at: number;
}

/** Whose usage a summary covers: a whole tenant, one conversation, or one user of a tenant. */
export type UsageScope =
  | { tenant: TenantId; chat?: undefined; thread?: undefined; userId?: undefined }
  | { tenant: TenantId; chat: ChatId; thread: ThreadId; userId?: undefined }
  | { tenant: TenantId; userId: string | number; chat?: undefined; thread?: undefined };

/** `day` and `month` are calendar periods in UTC containing `now`; `all` is everything retained. */
export type UsageWindow = 'day' | 'month' | 'all';

export interface UsageTotals {
  turns: number;
  tokens: TokenCounts;
  costUsd: number;
}

/** One model's share of a day (`model` is '' for turns where the model never answered). */
export interface UsageModelDay {
  model: string;
  turns: number;
  tokens: TokenCounts;
  costUsd: number;
}

/**
 * One UTC day of a tenant's usage, for charts. `models` is the split by model, most expensive
 * first; it may add up to less than the day (turns recorded before per-model counters existed, or
 * on models beyond the `MAX_MODELS_PER_DAY` listed that day): the rest is "other".
 */
export interface UsageDay extends UsageTotals {
  /** `YYYY-MM-DD` (UTC). */
  date: string;
  models: UsageModelDay[];
}

/** USD limits of one scope; an omitted limit is unlimited, `0` refuses every turn. */
export interface BudgetLimit {
  dayUsd?: number;
  monthUsd?: number;
}

/** Budgets of one tenant: for the tenant as a whole and for each of its users (same limit per user). */
export interface Budgets {
  tenant?: BudgetLimit;
  user?: BudgetLimit;
}

/** Why a turn was refused, in a structured form (the API) and as a sentence (the chat). */
export interface BudgetRefusal {
  allowed: false;
  /** User-facing message: which budget, its limit, what was spent, when it resets. */
  reason: string;
  scope: 'tenant' | 'user';
  period: 'day' | 'month';
  limitUsd: number;
  spentUsd: number;
  /** Epoch ms of the next UTC midnight / first of the month. */
  resetsAt: number;
}

export type BudgetDecision = { allowed: true } | BudgetRefusal;

export interface BudgetCheck {
  tenant: TenantId;
  userId?: string | number;
  /** Expected cost of the coming turn: refuse if it would push spending past a limit (default 0). */
  estimateUsd?: number;
}

/**
 * Usage accounting and budgets. Every backend (SQLite, DynamoDB) implements it through
 * `createUsageStore` and runs the shared conformance suite (`conformance.ts`).
 *
 * Counters are updated atomically (one SQLite transaction / DynamoDB `ADD` updates), so several
 * workers and restarts never lose or mix up a turn.
 */
export interface UsageStore {
  /** Add one turn to its tenant, conversation and user counters (day, month, all) and keep the raw record. */
  record(turn: UsageTurn): Promise<void>;
  /** Totals of a scope over a window; `now` defaults to the store's clock. */
  summary(scope: UsageScope, window: UsageWindow, now?: number): Promise<UsageTotals>;
  /**
   * Call before the model is called. Refused when a tenant or user budget (day/month) is already
   * used up, or would be exceeded by `estimateUsd`. When several are, the one that resets last is
   * reported (that is when the next turn can run). Users' budgets apply only when `userId` is given.
   */
  checkBudget(check: BudgetCheck, budgets: Budgets | undefined, now?: number): Promise<BudgetDecision>;
  /**
   * A tenant's last `days` UTC days (1–`MAX_HISTORY_DAYS`, today last), each with its split by
   * model. Reads counters by key only (the day counters, then the per-model counters their model
   * sets name): never a scan. A bad `days` throws `InvalidUsageError` (400).
   */
  daily(tenant: TenantId, days: number, now?: number): Promise<UsageDay[]>;
  close(): Promise<void>;
}
