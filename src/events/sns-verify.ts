import { createVerify, X509Certificate } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { EventForbiddenError, EventSignatureError } from './errors.js';
import type { SnsEnvelope } from './sns.js';

/*
 * Why not the `sns-validator` package: it downloads the signing certificate itself (its own HTTPS
 * client), with no way to inject the host policy, a timeout, a size cap or a cache shared with the
 * rest of the app, and so could not be tested without the network. Verifying an SNS signature is
 * 60 lines over `node:crypto`, which is what this file is.
 */

/** Whether a URL may be fetched: by default only `https://sns.<region>.amazonaws.com[.cn]/…`. */
export type SnsUrlPolicy = (url: URL) => boolean;

const AWS_SNS_HOST_RE = /^sns\.[a-z0-9-]{1,30}\.amazonaws\.com(?:\.cn)?$/;

export const awsSnsUrlPolicy: SnsUrlPolicy = (url) =>
  url.protocol === 'https:' && url.port === '' && AWS_SNS_HOST_RE.test(url.hostname);

export interface SnsVerifierDeps {
  /** Used for the signing certificate and the subscription confirmation GET. */
  fetch: typeof globalThis.fetch;
  clock: Clock;
  /** Default `awsSnsUrlPolicy`; tests allow a certificate served from 127.0.0.1. */
  urlPolicy?: SnsUrlPolicy;
  /** Per request (default 5 s). */
  timeoutMs?: number;
}

export const SNS_MAX_CERT_BYTES = 16 * 1024;
/** A message older than this is refused (a replayed capture). */
export const SNS_MAX_AGE_MS = 60 * 60 * 1000;
const MAX_CACHED_CERTS = 32;

const SIGNED_FIELDS: Record<SnsEnvelope['Type'], readonly (keyof SnsEnvelope)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: [
    'Message',
    'MessageId',
    'SubscribeURL',
    'Timestamp',
    'Token',
    'TopicArn',
    'Type',
  ],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

const ALGORITHMS: Record<string, string> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };

/** `Name\nvalue\n` for each signed field present, in the order AWS documents per message type. */
export function snsStringToSign(message: SnsEnvelope): string {
  let out = '';
  for (const field of SIGNED_FIELDS[message.Type]) {
    const value = message[field];
    if (value !== undefined) out += `${field}\n${value}\n`;
  }
  return out;
}

export interface SnsVerifier {
  /** Throws `EventSignatureError` (401) or `EventForbiddenError` (403) unless AWS signed `message`. */
  verify(message: SnsEnvelope): Promise<void>;
  /** GETs a verified confirmation's `SubscribeURL` (same host policy) to confirm the subscription. */
  confirm(message: SnsEnvelope): Promise<void>;
}

export function createSnsVerifier(deps: SnsVerifierDeps): SnsVerifier {
  const policy = deps.urlPolicy ?? awsSnsUrlPolicy;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const certs = new Map<string, Promise<X509Certificate>>();

  const allowedUrl = (raw: string | undefined, what: string): URL => {
    let url: URL;
    try {
      url = new URL(raw ?? '');
    } catch {
      throw new EventForbiddenError(`${what} is not a URL`);
    }
    if (!policy(url)) {
      throw new EventForbiddenError(
        `${what} must be https://sns.<region>.amazonaws.com/… (got ${url.origin})`,
      );
    }
    return url;
  };

  /** The certificate at `url`, fetched once however many deliveries ask for it at the same time. */
  function certificate(url: URL): Promise<X509Certificate> {
    const cached = certs.get(url.href);
    if (cached) return cached;
    const loading = fetchCertificate(url);
    if (certs.size >= MAX_CACHED_CERTS) certs.delete(certs.keys().next().value as string);
    certs.set(url.href, loading);
    loading.catch(() => certs.delete(url.href)); // a failed fetch is tried again next time
    return loading;
  }

  async function fetchCertificate(url: URL): Promise<X509Certificate> {
    let pem: string;
    try {
      const res = await deps.fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      pem = await readBounded(res, SNS_MAX_CERT_BYTES);
    } catch (err) {
      throw new EventSignatureError(`could not fetch the signing certificate: ${errorMessage(err)}`);
    }
    try {
      return new X509Certificate(pem);
    } catch {
      throw new EventSignatureError('the signing certificate is not a PEM certificate');
    }
  }

  return {
    async verify(message) {
      const algorithm = ALGORITHMS[message.SignatureVersion];
      if (!algorithm) {
        throw new EventSignatureError(
          `unknown SignatureVersion ${JSON.stringify(message.SignatureVersion)} (expected 1 or 2)`,
        );
      }
      const sent = Date.parse(message.Timestamp);
      const now = deps.clock.now();
      if (!Number.isFinite(sent)) throw new EventSignatureError('Timestamp is not a time');
      if (now - sent > SNS_MAX_AGE_MS) throw new EventSignatureError('Timestamp is more than 1 hour old');
      if (sent - now > 5 * 60 * 1000) throw new EventSignatureError('Timestamp is in the future');
      const cert = await certificate(allowedUrl(message.SigningCertURL, 'SigningCertURL'));
      if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
        throw new EventSignatureError('the signing certificate is not valid now');
      }
      const ok = createVerify(algorithm)
        .update(snsStringToSign(message), 'utf8')
        .verify(cert.publicKey, message.Signature, 'base64');
      if (!ok) throw new EventSignatureError('signature does not match the message');
    },
    async confirm(message) {
      const url = allowedUrl(message.SubscribeURL, 'SubscribeURL');
      const res = await deps.fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`[events:sns] subscription confirmation answered HTTP ${res.status}`);
    },
  };
}

/** The body as text, refusing more than `max` bytes (declared or read). */
async function readBounded(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw new Error(`certificate larger than ${max} bytes`);
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`certificate larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
