export type { EventRoute } from '../config/agent-config/event-fields.js';

/** Where an event came from, after the envelope (SNS) is unwrapped. */
export type EventKind = 'cloudwatch' | 'alertmanager' | 'generic';

/**
 * Any inbound alert, normalised: what the routing table matches on, what the dedupe id is made
 * of, and the fields a route's prompt template may use. Every string is bounded and one line
 * except `raw`.
 */
export interface InboundEvent {
  source: EventKind;
  /** What identifies this state change (hashed into the 32-hex event id). */
  dedupeParts: string[];
  /** One line, ≤ 120 characters. */
  title: string;
  /** `ALARM` / `OK` / `INSUFFICIENT_DATA`, `firing` / `resolved`, or the generic `state`. */
  state?: string;
  severity?: string;
  /** Epoch ms of the state change (alarm), the earliest `startsAt` (Alertmanager), or `time`. */
  occurredAt: number;
  /** Shown before the agent's findings (≤ 12 lines of ≤ 300 characters). */
  essentials: string[];
  /** Template fields (`{{alarm}}`, `{{reason}}`, `{{labels.team}}`…), each one bounded string. */
  fields: Record<string, string>;
  /** What `match.alarm` is matched against: the alarm name, `alertname`, or the generic title. */
  alarm: string;
  /** What `match.labels` is matched against (Alertmanager common labels, generic string details). */
  labels: Record<string, string>;
  /** The SNS topic it came through, when it came through SNS. */
  topicArn?: string;
  /** The original message as compact JSON, cut to `MAX_RAW_CHARS`. */
  raw: string;
}

export const MAX_RAW_CHARS = 4000;
