import { createSign, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { SnsEnvelope } from '../sns.js';
import { snsStringToSign } from '../sns-verify.js';

/**
 * A stand-in for SNS in tests: a self-signed certificate served from 127.0.0.1 (`/cert.pem`), a
 * `/confirm` URL that records its hits, and a signer for envelopes.
 */
export interface SnsFixture {
  origin: string;
  certUrl: string;
  privateKey: string;
  /** Paths requested so far (`/cert.pem`, `/confirm?...`). */
  hits: string[];
  /** A signed envelope; `overrides` are applied before signing. */
  envelope(overrides: Partial<SnsEnvelope>, options?: { version?: '1' | '2'; now?: number }): SnsEnvelope;
  close(): Promise<void>;
}

export const TEST_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:prod-alarms';

export async function startSnsFixture(options: { notAfter?: Date } = {}): Promise<SnsFixture> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'sns.eu-west-1.amazonaws.com' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 24 * 3600_000),
    notAfterDate: options.notAfter ?? new Date(now + 365 * 24 * 3600_000),
  });
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/cert.pem') {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(pems.cert);
    } else if (req.url?.startsWith('/confirm')) {
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    certUrl: `${origin}/cert.pem`,
    privateKey: pems.private,
    hits,
    envelope(overrides, opts = {}) {
      const version = opts.version ?? '1';
      const base: SnsEnvelope = {
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: TEST_TOPIC,
        Message: '{}',
        Timestamp: new Date(opts.now ?? Date.now()).toISOString(),
        SignatureVersion: version,
        Signature: '',
        SigningCertURL: `${origin}/cert.pem`,
        ...overrides,
      };
      const signer = createSign(version === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
      return {
        ...base,
        Signature: signer.update(snsStringToSign(base), 'utf8').sign(pems.private, 'base64'),
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Lets the verifier fetch from the fixture (plain http on 127.0.0.1) instead of AWS. */
export const localUrlPolicy = (url: URL): boolean => url.protocol === 'http:' && url.hostname === '127.0.0.1';

/** A CloudWatch alarm state-change message (the JSON inside an SNS notification). */
export function alarmMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AlarmName: 'prod-api-5xx',
    AlarmDescription: 'API 5xx rate above 1%',
    AWSAccountId: '123456789012',
    NewStateValue: 'ALARM',
    NewStateReason: 'Threshold Crossed: 1 datapoint [4.2] was greater than the threshold (1.0).',
    StateChangeTime: '2026-12-02T03:40:00.000+0000',
    Region: 'EU (Ireland)',
    OldStateValue: 'OK',
    Trigger: {
      MetricName: '5XXError',
      Namespace: 'AWS/ApiGateway',
      Statistic: 'AVERAGE',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Period: 60,
      EvaluationPeriods: 1,
      Dimensions: [{ name: 'ApiName', value: 'prod-api' }],
    },
    ...overrides,
  };
}
