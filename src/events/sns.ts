import { z } from 'zod';
import { parseOrThrow } from './bounds.js';

export const SNS_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;

const TOPIC_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]{1,30}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

/**
 * The SNS HTTP(S) envelope (posted as `Content-Type: text/plain`). Only the fields that are signed
 * or used are kept; everything signed is a string, exactly as received, because the string-to-sign
 * is rebuilt from these values.
 */
export const SNS_ENVELOPE = z.object({
  Type: z.enum(SNS_TYPES, { error: `must be one of ${SNS_TYPES.join(', ')}` }),
  MessageId: z.string().min(1).max(100),
  TopicArn: z.string().regex(TOPIC_ARN_RE, { error: 'must be an SNS topic ARN' }),
  Subject: z.string().max(100).optional(),
  Message: z.string().max(256 * 1024),
  Timestamp: z.string().max(40),
  SignatureVersion: z.string().max(10),
  Signature: z.string().min(1).max(2048),
  SigningCertURL: z.string().min(1).max(1024),
  SubscribeURL: z.string().max(2048).optional(),
  Token: z.string().max(2048).optional(),
  UnsubscribeURL: z.string().max(2048).optional(),
});

export type SnsEnvelope = z.infer<typeof SNS_ENVELOPE>;

/** Whether a request is an SNS delivery: its message-type header, or `Type` + `TopicArn` fields. */
export function isSnsDelivery(header: string | undefined, body: unknown): boolean {
  if (header) return true;
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.Type === 'string' && typeof b.TopicArn === 'string';
}

/** The envelope, or `EventFormatError` naming the field. */
export function parseSnsEnvelope(body: unknown): SnsEnvelope {
  const env = parseOrThrow(SNS_ENVELOPE, body);
  if (env.Type !== 'Notification' && !(env.SubscribeURL && env.Token)) {
    return parseOrThrow(
      SNS_ENVELOPE.extend({ SubscribeURL: z.string().min(1), Token: z.string().min(1) }),
      body,
    );
  }
  return env;
}

/** The region of a topic ARN (`arn:aws:sns:<region>:…`). */
