import { describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env.js';
import { liveOptionsOf } from './live-options.js';

describe('liveOptionsOf', () => {
  it('leaves the worker defaults when nothing is set', () => {
    expect(liveOptionsOf(parseEnv({}))).toEqual({ enabled: true });
  });

  it('reads TELEGRAM_LIVE_* and refuses nonsense', () => {
    const env = parseEnv({
      TELEGRAM_LIVE_REPLIES: '0',
      TELEGRAM_LIVE_EDIT_MS: '500',
      TELEGRAM_LIVE_GROUP_EDIT_MS: '4000',
      TELEGRAM_LIVE_STALL_MS: '30000',
    });
    expect(liveOptionsOf(env)).toEqual({
      enabled: false,
      editIntervalMs: 500,
      groupEditIntervalMs: 4000,
      stallNoticeMs: 30_000,
    });
    expect(() => parseEnv({ TELEGRAM_LIVE_EDIT_MS: '5' })).toThrow(/TELEGRAM_LIVE_EDIT_MS/);
  });
});
