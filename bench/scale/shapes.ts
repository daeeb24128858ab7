import type { DispatchPolicy } from './dispatcher.js';
import type { ModelClass } from './prices.js';
import type { TrafficShape } from './traffic.js';

/** The knobs a deployment sets (template parameters and their neighbours). */
export interface Settings {
  /** Turns in flight at most: the SQS event source's MaximumConcurrency (summed over queues). */
  maxConcurrency: number;
  /** The model provider's requests per minute for this organisation. */
  modelRpm: number;
  model: ModelClass;
  policy: DispatchPolicy;
  /** Telegram sends: retry on 429 (today) or a shared send budget. */
  telegram: 'retry' | 'budget';
  /**
   * Replies sent by the worker under the lease, holding its slot (today), or handed to a per-bot
   * outbox so the slot is freed when the turn is stored.
   */
  replies: 'worker' | 'outbox';
  /**
   * DynamoDB keys: `tenant` = today (sessions and usage under `pk` = tenant); `sharded` = session
   * items under `pk` = tenant#conversation, usage items under `pk` = tenant#shard (`usageShards`).
   */
  keys: 'tenant' | 'sharded';
  usageShards: number;
}

export interface Shape {
  name: 'team' | 'platform' | 'saas';
  description: string;
  traffic: TrafficShape;
  /** The simulated stretch of the day, seconds since midnight. */
  window: { fromS: number; toS: number };
  settings: Settings;
  /** Turn time = runner overhead + the model's time: log-normal (median s, sigma). */
  service: { medianS: number; sigma: number };
  lambda: { coldStartS: number; idleTtlS: number; prewarmed: number };
}

const SERVICE = { medianS: 12, sigma: 0.7 };
const LAMBDA = { coldStartS: 2.5, idleTtlS: 600 };
/**
 * The code as it is: usage sharded (§8.2), send budget (§8.3), session keys out of the tenant
 * partition (§8.1), the reply outbox on Lambda (§8.8: a reply whose slot is > 10 s away frees its worker).
 */
const BASE: Omit<Settings, 'maxConcurrency' | 'modelRpm'> = {
  model: 'sonnet',
  policy: 'arrival',
  telegram: 'budget',
  replies: 'outbox',
  keys: 'sharded',
  usageShards: 8,
};

/** The release the plan was written against (1 Dec 2026): every session and usage item under the tenant's key, no send budget. */
export const BEFORE: Partial<Settings> = {
  telegram: 'retry',
  replies: 'worker',
  keys: 'tenant',
  usageShards: 1,
};

/** Proposed, not built on Lambda: fair share (per-tenant queues, §8.4). */
export const PROPOSED: Partial<Settings> = { policy: 'fair' };
const DAY = { fromS: 0, toS: 86_400 };
const HOUR = 3600;

export const SHAPES: readonly Shape[] = [
  {
    name: 'team',
    description: '1 tenant, 50 users (50 private chats + 5 groups), working hours',
    traffic: {
      tenants: 1,
      minConversations: 55,
      conversationPeakPerS: 1 / 600,
      tenantSkew: 1,
      hot: { chats: 0.1, traffic: 0.5 },
      peakTurnsPerS: 0.04,
      floor: 0.02,
      sharpness: 3,
      peakHour: 13.5,
      burst: { probability: 0.2, extraMax: 3, gapS: 5 },
      groupChatShare: 0.1,
      // One user pastes 30 messages into one chat within a minute.
      flood: { tenant: 0, startS: 10 * HOUR, durationS: 60, turnsPerS: 0.5, chats: 1 },
    },
    window: DAY,
    settings: { ...BASE, maxConcurrency: 5, modelRpm: 1_000 },
    service: SERVICE,
    lambda: { ...LAMBDA, prewarmed: 0 },
  },
  {
    name: 'platform',
    description: '100 tenants, 1 turn/s at peak, 10+ chats each',
    traffic: {
      tenants: 100,
      minConversations: 10,
      conversationPeakPerS: 1 / 600,
      tenantSkew: 1.1,
      hot: { chats: 0.1, traffic: 0.5 },
      peakTurnsPerS: 1,
      floor: 0.1,
      sharpness: 2,
      peakHour: 14,
      burst: { probability: 0.2, extraMax: 3, gapS: 5 },
      groupChatShare: 0.2,
      // A tenant's automation sends 3 turns/s over 40 chats for 10 minutes at the peak.
      flood: { tenant: 7, startS: 14 * HOUR, durationS: 600, turnsPerS: 3, chats: 40 },
    },
    window: DAY,
    settings: { ...BASE, maxConcurrency: 50, modelRpm: 4_000 },
    service: SERVICE,
    lambda: { ...LAMBDA, prewarmed: 0 },
  },
  {
    name: 'saas',
    description: '10,000 tenants, 1,000 turns/s at peak; the peak 5 minutes simulated turn by turn',
    traffic: {
      tenants: 10_000,
      minConversations: 5,
      conversationPeakPerS: 1 / 600,
      tenantSkew: 1.1,
      hot: { chats: 0.1, traffic: 0.5 },
      peakTurnsPerS: 1_000,
      floor: 0.25,
      sharpness: 1,
      peakHour: 14,
      burst: { probability: 0.2, extraMax: 3, gapS: 5 },
      groupChatShare: 0.2,
      // A mid-size tenant's automation: 100 turns/s over 600 chats for 2 minutes.
      flood: { tenant: 50, startS: 14 * HOUR - 90, durationS: 120, turnsPerS: 100, chats: 600 },
    },
    window: { fromS: 14 * HOUR - 150, toS: 14 * HOUR + 150 },
    // 20 queues × 1,000 (the event source's maximum), a custom model-provider limit.
    settings: { ...BASE, maxConcurrency: 20_000, modelRpm: 240_000 },
    service: SERVICE,
    lambda: { ...LAMBDA, prewarmed: 14_000 },
  },
];

export function shapeByName(name: string): Shape | undefined {
  return SHAPES.find((s) => s.name === name);
}
