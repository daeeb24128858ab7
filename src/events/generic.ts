import { z } from 'zod';
import { boundedRecord } from '../core/schema-bounds.js';
import {
  BODY_BOUNDS,
  MAX_EVENT_TIME,
  MIN_EVENT_TIME,
  canonicalJson,
  oneLine,
  parseEventTime,
  parseOrThrow,
  textOf,
} from './bounds.js';
import { MAX_RAW_CHARS, type InboundEvent } from './types.js';

const printable = (max: number) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/**
 * A generic JSON event: `{ "title": "…", "id"?, "state"?, "severity"?, "time"?, "details"? }`.
 * Unknown fields are refused (a typo never silently drops data); `time` is an ISO time or epoch
 * ms between 2000 and 2200; `details` is an object (its nesting is bounded by `assertBounded`).
 */
export const GENERIC_EVENT = z.strictObject({
  title: printable(200).refine((v) => oneLine(v, 200).length > 0, { error: 'must contain text' }),
  id: printable(200).optional(),
  state: printable(40).optional(),
  severity: printable(40).optional(),
  time: z
    .union([z.string().max(40), z.number().min(MIN_EVENT_TIME).lt(MAX_EVENT_TIME)], {
      error: 'must be an ISO time or epoch milliseconds',
    })
    .refine((v) => parseEventTime(v) !== undefined, { error: 'must be a time between 2000 and 2200' })
    .optional(),
  // Free-form JSON: its nesting, strings and arrays are bounded by `assertBounded` before parsing.
  details: boundedRecord(z.string().max(BODY_BOUNDS.maxKeyLength), z.unknown(), BODY_BOUNDS.maxKeys, {
    error: 'must be an object',
  }).optional(),
});

/**
 * A generic event (also any SNS message that is not a CloudWatch alarm, with the SNS subject as
 * title). Its identity is `id` when given, else the whole canonical body.
 */
export function normaliseGeneric(body: unknown, now: number, topicArn?: string): InboundEvent {
  const g = parseOrThrow(GENERIC_EVENT, body);
  const occurredAt = g.time === undefined ? now : (parseEventTime(g.time) as number);
  const details = g.details ?? {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      labels[k] = oneLine(String(v), 500);
  }
  const fields: Record<string, string> = {
    alarm: oneLine(g.title, 200),
    state: textOf(g.state, 40),
    severity: textOf(g.severity, 40),
    details: textOf(details, 2000),
    time: new Date(occurredAt).toISOString(),
    ...(topicArn ? { topic_arn: topicArn } : {}),
  };
  for (const [k, v] of Object.entries(labels)) fields[`details.${k}`] = v;
  const essentials = [
    fields.state && `State: ${fields.state}`,
    fields.severity && `Severity: ${fields.severity}`,
    Object.keys(details).length > 0 && `Details: ${fields.details}`,
    `At: ${fields.time}`,
  ].filter((l): l is string => typeof l === 'string' && l.length > 0);
  return {
    source: 'generic',
    dedupeParts: g.id !== undefined ? ['generic-id', g.id] : ['generic-body', canonicalJson(body)],
    title: oneLine(g.title, 120),
    ...(g.state ? { state: g.state } : {}),
    ...(g.severity ? { severity: g.severity } : {}),
    occurredAt,
    essentials: essentials.map((l) => oneLine(l, 300)),
    fields,
    alarm: g.title,
    labels,
    ...(topicArn ? { topicArn } : {}),
    raw: JSON.stringify(body).slice(0, MAX_RAW_CHARS),
  };
}
