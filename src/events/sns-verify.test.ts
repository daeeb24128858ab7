import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { EventForbiddenError, EventSignatureError } from './errors.js';
import { awsSnsUrlPolicy, createSnsVerifier, snsStringToSign } from './sns-verify.js';
import { localUrlPolicy, startSnsFixture, type SnsFixture } from './testing/sns-fixture.js';

let sns: SnsFixture;
beforeAll(async () => {
  sns = await startSnsFixture();
});
afterAll(() => sns.close());

const verifier = (clock = new ManualClock(Date.now())) =>
  createSnsVerifier({ fetch: globalThis.fetch, clock, urlPolicy: localUrlPolicy });

describe('snsStringToSign', () => {
  it('lists the signed fields of a notification in order, Subject only when present', () => {
    const base = {
      Type: 'Notification' as const,
      MessageId: 'm1',
      TopicArn: 't',
      Message: 'hello',
      Timestamp: '2026-12-02T03:00:00.000Z',
      SignatureVersion: '1',
      Signature: 's',
      SigningCertURL: 'u',
    };
    expect(snsStringToSign(base)).toBe(
      'Message\nhello\nMessageId\nm1\nTimestamp\n2026-12-02T03:00:00.000Z\nTopicArn\nt\nType\nNotification\n',
    );
    expect(snsStringToSign({ ...base, Subject: 'S' })).toContain('MessageId\nm1\nSubject\nS\nTimestamp\n');
  });

  it('signs SubscribeURL and Token of a confirmation', () => {
    const text = snsStringToSign({
      Type: 'SubscriptionConfirmation',
      MessageId: 'm',
      TopicArn: 't',
      Message: 'x',
      Timestamp: 'ts',
      SignatureVersion: '1',
      Signature: 's',
      SigningCertURL: 'u',
      SubscribeURL: 'https://sub',
      Token: 'tok',
    });
    expect(text).toBe(
      'Message\nx\nMessageId\nm\nSubscribeURL\nhttps://sub\nTimestamp\nts\nToken\ntok\nTopicArn\nt\nType\nSubscriptionConfirmation\n',
    );
  });
});

describe('createSnsVerifier', () => {
  it('accepts SignatureVersion 1 and 2, fetching the certificate once', async () => {
    const v = verifier();
    const before = sns.hits.filter((h) => h === '/cert.pem').length;
    await v.verify(sns.envelope({ Message: 'a' }, { version: '1' }));
    await v.verify(sns.envelope({ Message: 'b' }, { version: '2' }));
    expect(sns.hits.filter((h) => h === '/cert.pem').length - before).toBe(1);
  });

  it('refuses a forged signature and a tampered Message', async () => {
    const v = verifier();
    const signed = sns.envelope({ Message: 'original' });
    await expect(v.verify({ ...signed, Message: 'tampered' })).rejects.toThrow(/signature does not match/);
    const forged = Buffer.alloc(256, 7).toString('base64');
    await expect(v.verify({ ...signed, Signature: forged })).rejects.toBeInstanceOf(EventSignatureError);
  });

  it('refuses an unknown SignatureVersion before fetching anything', async () => {
    const hits = sns.hits.length;
    const unknown = { ...sns.envelope({}), SignatureVersion: '3' };
    await expect(verifier().verify(unknown)).rejects.toThrow(/unknown SignatureVersion "3"/);
    expect(sns.hits.length).toBe(hits);
  });

  it('refuses a message older than an hour (replay)', async () => {
    const clock = new ManualClock(Date.now());
    const old = sns.envelope({}, { now: clock.now() - 61 * 60_000 });
    await expect(verifier(clock).verify(old)).rejects.toThrow(/more than 1 hour old/);
  });

  it('refuses a certificate outside its validity period', async () => {
    const clock = new ManualClock(Date.now() + 2 * 365 * 24 * 3600_000);
    const later = sns.envelope({}, { now: clock.now() });
    await expect(verifier(clock).verify(later)).rejects.toThrow(/not valid now/);
  });

  it('by default fetches certificates only from https://sns.<region>.amazonaws.com', async () => {
    const v = createSnsVerifier({ fetch: globalThis.fetch, clock: new ManualClock(Date.now()) });
    const hits = sns.hits.length;
    await expect(v.verify(sns.envelope({}))).rejects.toBeInstanceOf(EventForbiddenError);
    await expect(
      v.verify(sns.envelope({ SigningCertURL: 'https://evil.example.com/SimpleNotificationService-x.pem' })),
    ).rejects.toThrow(/SigningCertURL must be https:\/\/sns/);
    expect(sns.hits.length).toBe(hits);
    expect(
      awsSnsUrlPolicy(new URL('https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem')),
    ).toBe(true);
    expect(awsSnsUrlPolicy(new URL('https://sns.cn-north-1.amazonaws.com.cn/x.pem'))).toBe(true);
    expect(awsSnsUrlPolicy(new URL('http://sns.eu-west-1.amazonaws.com/x.pem'))).toBe(false);
    expect(awsSnsUrlPolicy(new URL('https://sns.eu-west-1.amazonaws.com.evil.io/x.pem'))).toBe(false);
    expect(awsSnsUrlPolicy(new URL('https://sns.eu-west-1.amazonaws.com:8443/x.pem'))).toBe(false);
  });

  it('refuses a certificate larger than 16 KiB', async () => {
    const big = async () => new Response('x'.repeat(20_000));
    const v = createSnsVerifier({
      fetch: big,
      clock: new ManualClock(Date.now()),
      urlPolicy: localUrlPolicy,
    });
    await expect(v.verify(sns.envelope({}))).rejects.toThrow(/larger than 16384 bytes/);
  });

  it('confirms a subscription by GET of its SubscribeURL, only on an allowed host', async () => {
    const v = verifier();
    await v.confirm(
      sns.envelope({
        Type: 'SubscriptionConfirmation',
        SubscribeURL: `${sns.origin}/confirm?t=1`,
        Token: 'x',
      }),
    );
    expect(sns.hits).toContain('/confirm?t=1');
    await expect(
      v.confirm(
        sns.envelope({
          Type: 'SubscriptionConfirmation',
          SubscribeURL: 'https://evil.example.com/c',
          Token: 'x',
        }),
      ),
    ).rejects.toBeInstanceOf(EventForbiddenError);
  });
});
