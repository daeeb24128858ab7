import { assertBounded } from './bounds.js';
import { looksLikeAlarm, normaliseAlarm } from './cloudwatch.js';
import { looksLikeAlertmanager, normaliseAlertmanager } from './alertmanager.js';
import { normaliseGeneric } from './generic.js';
import { isSnsDelivery, parseSnsEnvelope, type SnsEnvelope } from './sns.js';
import type { SnsVerifier } from './sns-verify.js';
import type { InboundEvent } from './types.js';

/** What a verified inbound body asks for. */
export type Inbound =
  | { kind: 'event'; event: InboundEvent }
  | { kind: 'subscribe'; envelope: SnsEnvelope }
  | { kind: 'unsubscribe'; envelope: SnsEnvelope };

/**
 * Detects the format (SNS by its header or `Type` + `TopicArn`; Alertmanager by `version` +
 * `alerts`; else generic), verifies an SNS signature before reading anything inside the envelope,
 * and normalises. Throws `EventFormatError` (400), `EventSignatureError` (401) or
 * `EventForbiddenError` (403).
 */
export async function readInbound(
  body: unknown,
  snsHeader: string | undefined,
  deps: { sns: SnsVerifier; now: number },
): Promise<Inbound> {
  assertBounded(body);
  if (isSnsDelivery(snsHeader, body)) {
    const envelope = parseSnsEnvelope(body);
    await deps.sns.verify(envelope);
    if (envelope.Type === 'SubscriptionConfirmation') return { kind: 'subscribe', envelope };
    if (envelope.Type === 'UnsubscribeConfirmation') return { kind: 'unsubscribe', envelope };
    return { kind: 'event', event: snsNotification(envelope, deps.now) };
  }
  if (looksLikeAlertmanager(body)) return { kind: 'event', event: normaliseAlertmanager(body) };
  return { kind: 'event', event: normaliseGeneric(body, deps.now) };
}

/** A CloudWatch alarm inside the notification, or a generic event titled by the SNS subject. */
function snsNotification(envelope: SnsEnvelope, now: number): InboundEvent {
  let message: unknown;
  try {
    message = JSON.parse(envelope.Message);
  } catch {
    message = undefined;
  }
  if (message !== undefined) assertBounded(message, 'Message');
  if (looksLikeAlarm(message)) return normaliseAlarm(message, envelope.TopicArn, 'Message');
  const title = envelope.Subject?.trim() || `SNS notification from ${envelope.TopicArn.split(':').pop()}`;
  const details =
    typeof message === 'object' && message !== null && !Array.isArray(message)
      ? (message as Record<string, unknown>)
      : { message: envelope.Message.slice(0, 4000) };
  return normaliseGeneric(
    { title: title.slice(0, 200), id: `sns:${envelope.MessageId}`, time: envelope.Timestamp, details },
    now,
    envelope.TopicArn,
  );
}
