import { describe, expect, it } from 'vitest';
import { loadLambdaEnv } from './env.js';

describe('loadLambdaEnv', () => {
  it('registers secrets set directly in the environment for masking, not only those read from SSM', async () => {
    const loaded = await loadLambdaEnv({
      TELEGRAM_BOT_TOKEN: '123456:direct-token-abcdefghij',
      TELEGRAM_WEBHOOK_SECRET: 'direct-webhook-secret-0123',
      OMNICLOUD_LOG_LEVEL: 'warn',
    });
    expect(loaded.env.OMNICLOUD_ENV).toBe('production');
    expect(loaded.secrets).toEqual(
      expect.arrayContaining(['123456:direct-token-abcdefghij', 'direct-webhook-secret-0123']),
    );
  });
});
