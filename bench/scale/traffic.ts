import type { Simulation } from './event-queue.js';
import { createZipf, type Rng } from './prng.js';

/** One incoming Telegram message (an agent turn to run). */
export interface Arrival {
  tenant: number;
  /** Global conversation id (the SQS message group). */
  group: number;
  /** A group chat (20 messages a minute) rather than a private chat (1 a second). */
  isGroupChat: boolean;
  /** Part of the flooding tenant's extra traffic. */
  flood: boolean;
}

export interface TrafficShape {
  tenants: number;
  /**
   * Chats of a tenant: at least `minConversations`, and more for busy tenants, so that an average
   * chat sends `conversationPeakPerS` turns a second at the peak (people, not scripts, type).
   */
  minConversations: number;
  conversationPeakPerS: number;
  /** Zipf exponent of tenant sizes: a few big tenants, a long tail of small ones. */
  tenantSkew: number;
  /** A few hot chats, many idle: `chats` of a tenant's chats get `traffic` of its turns. */
  hot: { chats: number; traffic: number };
  /** Turns a second at the day's peak (bursts included). */
  peakTurnsPerS: number;
  /** Diurnal curve: rate = peak × (floor + (1 − floor) × ((1 + cos(2π(h − peakHour)/24)) / 2)^sharpness). */
  floor: number;
  sharpness: number;
  peakHour: number;
  /** A message is followed by more in the same chat with this probability (people type in bursts). */
  burst: { probability: number; extraMax: number; gapS: number };
  /** Share of conversations that are group chats. */
  groupChatShare: number;
  /** One tenant floods: extra turns a second over its own set of chats, during a window. */
  flood?: { tenant: number; startS: number; durationS: number; turnsPerS: number; chats: number };
}

/** Relative rate (0–1 of the peak) at second `t` of the day. */
export function dayProfile(shape: TrafficShape, t: number): number {
  const h = (t / 3600) % 24;
  const wave = (1 + Math.cos((2 * Math.PI * (h - shape.peakHour)) / 24)) / 2;
  return shape.floor + (1 - shape.floor) * Math.pow(wave, shape.sharpness);
}

/** Turns in a whole day (bursts included, flood excluded), by integrating the profile. */
export function turnsPerDay(shape: TrafficShape): number {
  let sum = 0;
  for (let s = 0; s < 86_400; s += 60) sum += dayProfile(shape, s + 30) * 60;
  return sum * shape.peakTurnsPerS;
}

const meanExtra = (b: TrafficShape['burst']): number => b.probability * (b.extraMax / 2 + 0.5);

/**
 * Feeds arrivals into the simulation between `fromS` and `toS`: a non-homogeneous Poisson process
 * (thinning against the peak rate) over Zipf-weighted tenants and conversations, burst follow-ups,
 * and the flood. Arrivals are generated one event ahead, never materialised.
 */
/** Where each tenant's chats start in the global conversation numbering, and how many it has. */
export interface ConversationLayout {
  offset: Int32Array;
  count: Int32Array;
  /** Conversations in all (the flood's chats are numbered after them). */
  total: number;
}

export function conversationLayout(shape: TrafficShape): ConversationLayout {
  const tenants = createZipf(shape.tenants, shape.tenantSkew);
  const offset = new Int32Array(shape.tenants);
  const count = new Int32Array(shape.tenants);
  let total = 0;
  for (let t = 0; t < shape.tenants; t++) {
    const peak = tenants.share(t) * shape.peakTurnsPerS;
    const n = Math.max(shape.minConversations, Math.ceil(peak / shape.conversationPeakPerS));
    offset[t] = total;
    count[t] = n;
    total += n;
  }
  return { offset, count, total };
}

export function startTraffic(
  sim: Simulation,
  shape: TrafficShape,
  rng: Rng,
  window: { fromS: number; toS: number },
  onArrival: (a: Arrival) => void,
): void {
  const tenants = createZipf(shape.tenants, shape.tenantSkew);
  const layout = conversationLayout(shape);
  const pickConversation = (tenant: number): number => {
    const n = layout.count[tenant] ?? 1;
    const hot = Math.max(1, Math.round(n * shape.hot.chats));
    if (hot >= n || rng.next() < shape.hot.traffic) return rng.int(hot);
    return hot + rng.int(n - hot);
  };
  const baseRate = shape.peakTurnsPerS / (1 + meanExtra(shape.burst));
  const groupChat = (conv: number): boolean =>
    shape.groupChatShare > 0 && conv % Math.round(1 / shape.groupChatShare) === 1;

  const emit = (a: Arrival): void => {
    onArrival(a);
    if (a.flood || rng.next() >= shape.burst.probability) return;
    const extra = 1 + rng.int(shape.burst.extraMax);
    let t = sim.now;
    for (let i = 0; i < extra; i++) {
      t += rng.exp(1 / shape.burst.gapS);
      if (t < window.toS) sim.at(t, () => onArrival(a));
    }
  };

  const next = (from: number): void => {
    let t = from;
    for (;;) {
      t += rng.exp(baseRate);
      if (t >= window.toS) return;
      if (rng.next() < dayProfile(shape, t)) break;
    }
    sim.at(t, () => {
      const tenant = tenants.sample(rng);
      const conv = pickConversation(tenant);
      emit({
        tenant,
        group: (layout.offset[tenant] ?? 0) + conv,
        isGroupChat: groupChat(conv),
        flood: false,
      });
      next(t);
    });
  };
  next(window.fromS);

  const flood = shape.flood;
  if (!flood) return;
  const floodEnd = Math.min(window.toS, flood.startS + flood.durationS);
  const floodBase = layout.total;
  const nextFlood = (from: number): void => {
    const t = from + rng.exp(flood.turnsPerS);
    if (t >= floodEnd) return;
    sim.at(t, () => {
      emit({
        tenant: flood.tenant,
        group: floodBase + rng.int(flood.chats),
        isGroupChat: false,
        flood: true,
      });
      nextFlood(t);
    });
  };
  if (floodEnd > Math.max(window.fromS, flood.startS)) nextFlood(Math.max(window.fromS, flood.startS));
}
