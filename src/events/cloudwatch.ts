import { z } from 'zod';
import { EventFormatError } from './errors.js';
import { MAX_RAW_CHARS, type InboundEvent } from './types.js';
import { oneLine, parseEventTime, parseOrThrow, textOf } from './bounds.js';

const str = (max: number) => z.string().max(max);
/** Any JSON number (finite: `assertBounded` refuses `1e400` before parsing), declared as bounded. */
const finite = z.number().min(-Number.MAX_VALUE).max(Number.MAX_VALUE);

/** The fields of a CloudWatch alarm state-change message that we use (others are kept in `raw`). */
/** A CloudWatch alarm state change (an SNS notification's `Message`). */
export const CLOUDWATCH_ALARM = z.object({
  AlarmName: str(255).min(1),
  AlarmDescription: str(1024).nullish(),
  AWSAccountId: str(20).optional(),
  NewStateValue: str(40).min(1),
  OldStateValue: str(40).optional(),
  NewStateReason: str(4096).optional(),
  StateChangeTime: str(40),
  Region: str(100).optional(),
  AlarmArn: str(2048).optional(),
  Trigger: z
    .object({
      MetricName: str(255).optional(),
      Namespace: str(255).optional(),
      Statistic: str(40).optional(),
      Threshold: finite.optional(),
      ComparisonOperator: str(64).optional(),
      Period: finite.optional(),
      EvaluationPeriods: finite.optional(),
      Dimensions: z
        .array(z.object({ name: str(255), value: str(1024) }))
        .max(30)
        .optional(),
    })
    .optional(),
});

/** Whether an SNS `Message` looks like a CloudWatch alarm (then it must parse as one). */
export function looksLikeAlarm(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'AlarmName' in value && 'NewStateValue' in value;
}

/**
 * A CloudWatch alarm state change. Its identity is (alarm, new state, state-change time): SNS
 * retries and duplicate deliveries carry other MessageIds but the same three.
 */
export function normaliseAlarm(message: unknown, topicArn: string, prefix: string): InboundEvent {
  const a = parseOrThrow(CLOUDWATCH_ALARM, message, prefix);
  const occurredAt = parseEventTime(a.StateChangeTime);
  if (occurredAt === undefined) {
    throw new EventFormatError(`${prefix}.StateChangeTime`, 'must be a time between 2000 and 2200');
  }
  const t = a.Trigger;
  const metric = t?.MetricName ? `${t.Namespace ? `${t.Namespace}/` : ''}${t.MetricName}` : '';
  const dimensions = (t?.Dimensions ?? []).map((d) => `${d.name}=${d.value}`).join(', ');
  const threshold = t?.Threshold !== undefined ? `${t.ComparisonOperator ?? ''} ${t.Threshold}`.trim() : '';
  const fields: Record<string, string> = {
    alarm: oneLine(a.AlarmName, 255),
    state: oneLine(a.NewStateValue, 40),
    old_state: textOf(a.OldStateValue, 40),
    reason: textOf(a.NewStateReason, 1000),
    description: textOf(a.AlarmDescription, 1000),
    region: textOf(a.Region, 100),
    account: textOf(a.AWSAccountId, 20),
    metric: oneLine(metric, 300),
    dimensions: oneLine(dimensions, 500),
    threshold: oneLine(threshold, 100),
    time: new Date(occurredAt).toISOString(),
    topic_arn: topicArn,
  };
  const essentials = [
    `State: ${fields.state}${fields.old_state ? ` (was ${fields.old_state})` : ''}`,
    fields.reason && `Reason: ${fields.reason}`,
    metric && `Metric: ${fields.metric}${dimensions ? ` (${fields.dimensions})` : ''}`,
    threshold && `Threshold: ${fields.threshold}`,
    (fields.region || fields.account) &&
      `Where: ${[fields.account, fields.region].filter(Boolean).join(' / ')}`,
    `At: ${fields.time}`,
  ].filter((l): l is string => typeof l === 'string' && l.length > 0);
  return {
    source: 'cloudwatch',
    dedupeParts: ['cloudwatch', a.AlarmName, a.NewStateValue, a.StateChangeTime],
    title: oneLine(`${a.NewStateValue}: ${a.AlarmName}`, 120),
    state: a.NewStateValue,
    occurredAt: occurredAt,
    essentials: essentials.map((l) => oneLine(l, 300)),
    fields,
    alarm: a.AlarmName,
    labels: {},
    topicArn,
    raw: JSON.stringify(message).slice(0, MAX_RAW_CHARS),
  };
}
