import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseEnv, readDemoTokenMs } from './env.js';

describe('OMNICLOUD_DEMO_TOKEN_MS', () => {
  it('defaults to 50 ms and accepts 0 (no delay) up to a minute', () => {
    expect(readDemoTokenMs({})).toBe(50);
    expect(parseEnv({}).OMNICLOUD_DEMO_TOKEN_MS).toBe(50);
    expect(readDemoTokenMs({ OMNICLOUD_DEMO_TOKEN_MS: '0' })).toBe(0);
    expect(readDemoTokenMs({ OMNICLOUD_DEMO_TOKEN_MS: '60000' })).toBe(60_000);
  });

  it.each(['', '-1', '1.5', 'fast', '60001'])('refuses %j with an error naming the variable', (value) => {
    const read = () => readDemoTokenMs({ OMNICLOUD_DEMO_TOKEN_MS: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/OMNICLOUD_DEMO_TOKEN_MS/);
  });

  it('reads only its own variable (an unrelated invalid one does not matter)', () => {
    expect(readDemoTokenMs({ OMNICLOUD_PORT: 'not a port', OMNICLOUD_DEMO_TOKEN_MS: '7' })).toBe(7);
    expect(() => parseEnv({ OMNICLOUD_PORT: 'not a port' })).toThrow(/OMNICLOUD_PORT/);
  });
});

describe('schedule sync variables (EventBridge Scheduler target)', () => {
  const ok = {
    OMNICLOUD_SCHEDULE_GROUP: 'omnicloud-ScheduleGroup-1A2B',
    OMNICLOUD_SCHEDULE_ROLE_ARN: 'arn:aws:iam::123456789012:role/omnicloud-SchedulerRole-1A2B',
    OMNICLOUD_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:omnicloud-MessageQueue-1A2B.fifo',
  };

  it('accepts what the stack sets', () => {
    expect(parseEnv(ok)).toMatchObject(ok);
  });

  it.each([
    ['OMNICLOUD_SCHEDULE_GROUP', 'has spaces'],
    ['OMNICLOUD_SCHEDULE_GROUP', 'g'.repeat(65)],
    ['OMNICLOUD_SCHEDULE_ROLE_ARN', 'arn:aws:iam::123456789012:user/alice'],
    ['OMNICLOUD_QUEUE_ARN', 'arn:aws:sqs:eu-west-1:123456789012:standard-queue'],
    ['OMNICLOUD_QUEUE_ARN', 'https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => parseEnv({ ...ok, [name]: value })).toThrow(new RegExp(name));
  });
});

describe('OMNICLOUD_SESSION_LEGACY_KEYS', () => {
  it('is on by default and takes 0 or 1', () => {
    expect(parseEnv({}).OMNICLOUD_SESSION_LEGACY_KEYS).toBe(true);
    expect(parseEnv({ OMNICLOUD_SESSION_LEGACY_KEYS: '1' }).OMNICLOUD_SESSION_LEGACY_KEYS).toBe(true);
    expect(parseEnv({ OMNICLOUD_SESSION_LEGACY_KEYS: '0' }).OMNICLOUD_SESSION_LEGACY_KEYS).toBe(false);
  });

  it.each(['true', 'no', '2', ''])('refuses %j with an error naming the variable', (value) => {
    expect(() => parseEnv({ OMNICLOUD_SESSION_LEGACY_KEYS: value })).toThrow(/OMNICLOUD_SESSION_LEGACY_KEYS/);
  });
});

describe('OMNICLOUD_USAGE_SHARDS', () => {
  it('is unset by default (the DynamoDB usage store then uses 8) and takes 1–24', () => {
    expect(parseEnv({}).OMNICLOUD_USAGE_SHARDS).toBeUndefined();
    expect(parseEnv({ OMNICLOUD_USAGE_SHARDS: '1' }).OMNICLOUD_USAGE_SHARDS).toBe(1);
    expect(parseEnv({ OMNICLOUD_USAGE_SHARDS: '16' }).OMNICLOUD_USAGE_SHARDS).toBe(16);
  });

  it.each(['0', '25', '1.5', 'eight'])('refuses %j with an error naming the variable', (value) => {
    expect(() => parseEnv({ OMNICLOUD_USAGE_SHARDS: value })).toThrow(/OMNICLOUD_USAGE_SHARDS/);
  });
});
