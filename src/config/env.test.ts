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
