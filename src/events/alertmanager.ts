import { z } from 'zod';
import { EventFormatError } from './errors.js';
import { boundedRecord } from '../core/schema-bounds.js';
import { BODY_BOUNDS, oneLine, parseEventTime, parseOrThrow, textOf } from './bounds.js';
import { MAX_RAW_CHARS, type InboundEvent } from './types.js';

const labelMap = boundedRecord(
  z.string().max(BODY_BOUNDS.maxKeyLength),
  z.string().max(4096),
  BODY_BOUNDS.maxKeys,
);

const ALERT = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap,
  annotations: labelMap.default({}),
  startsAt: z.string().max(40),
  endsAt: z.string().max(40).optional(),
  fingerprint: z.string().max(100).default(''),
  generatorURL: z.string().max(2048).optional(),
});

/** Alertmanager's webhook body (version 4): one notification for one group of alerts. */
export const ALERTMANAGER_WEBHOOK = z.object({
  version: z.literal('4', { error: 'must be "4" (the Alertmanager webhook format)' }),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(200).optional(),
  groupKey: z.string().min(1).max(2048),
  groupLabels: labelMap.default({}),
  commonLabels: labelMap.default({}),
  commonAnnotations: labelMap.default({}),
  externalURL: z.string().max(2048).optional(),
  alerts: z.array(ALERT).min(1).max(200),
});

export function looksLikeAlertmanager(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'version' in body && 'alerts' in body;
}

const listOf = (m: Record<string, string>) =>
  Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/**
 * An Alertmanager notification. Its identity is the group, its status and the (fingerprint,
 * startsAt) of its alerts, sorted: a repeat of the same firing group is a duplicate, its
 * resolution is not.
 */
export function normaliseAlertmanager(body: unknown): InboundEvent {
  const w = parseOrThrow(ALERTMANAGER_WEBHOOK, body);
  const starts = w.alerts.map((a, i) => {
    const t = parseEventTime(a.startsAt);
    if (t === undefined)
      throw new EventFormatError(`alerts[${i}].startsAt`, 'must be a time between 2000 and 2200');
    return t;
  });
  const labels = { ...w.commonLabels };
  const alertname = labels.alertname ?? w.groupLabels.alertname ?? w.alerts[0]?.labels.alertname ?? 'alert';
  const annotations = { ...w.commonAnnotations };
  const fields: Record<string, string> = {
    alarm: oneLine(alertname, 200),
    state: w.status,
    severity: textOf(labels.severity, 40),
    summary: textOf(annotations.summary ?? w.alerts[0]?.annotations.summary, 1000),
    description: textOf(annotations.description ?? w.alerts[0]?.annotations.description, 1000),
    labels: oneLine(listOf(labels), 1000),
    annotations: oneLine(listOf(annotations), 1000),
    alerts: String(w.alerts.length),
    time: new Date(Math.min(...starts)).toISOString(),
  };
  for (const [k, v] of Object.entries(labels)) fields[`labels.${k}`] = oneLine(v, 500);
  for (const [k, v] of Object.entries(annotations)) fields[`annotations.${k}`] = oneLine(v, 1000);
  const essentials = [
    `Status: ${w.status} (${w.alerts.length} alert${w.alerts.length === 1 ? '' : 's'})`,
    fields.severity && `Severity: ${fields.severity}`,
    fields.summary && `Summary: ${fields.summary}`,
    fields.labels && `Labels: ${fields.labels}`,
    `Since: ${fields.time}`,
  ].filter((l): l is string => typeof l === 'string' && l.length > 0);
  const identity = w.alerts.map((a) => `${a.fingerprint}@${a.startsAt}`).sort();
  return {
    source: 'alertmanager',
    dedupeParts: ['alertmanager', w.groupKey, w.status, ...identity],
    title: oneLine(`${w.status}: ${alertname}${fields.summary ? ` — ${fields.summary}` : ''}`, 120),
    state: w.status,
    ...(fields.severity ? { severity: fields.severity } : {}),
    occurredAt: Math.min(...starts),
    essentials: essentials.map((l) => oneLine(l, 300)),
    fields,
    alarm: alertname,
    labels,
    raw: JSON.stringify(body).slice(0, MAX_RAW_CHARS),
  };
}
