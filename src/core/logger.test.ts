import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('logger redaction', () => {
  it('masks secret-named fields and known secret values, also secrets learned later by any child', () => {
    const lines: string[] = [];
    const root = createLogger({ write: (l) => lines.push(l), secrets: ['bot-token-123456'] });
    const child = root.child({ component: 'x' });
    child.info('sending with bot-token-123456', { api_key: 'whatever', note: 'plain' });
    child.addSecrets?.(['mcp-header-secret-987']);
    root.warn('header was mcp-header-secret-987', { url: 'https://h/?k=mcp-header-secret-987' });
    const out = lines.join('\n');
    expect(out).not.toContain('bot-token-123456');
    expect(out).not.toContain('mcp-header-secret-987');
    expect(out).not.toContain('whatever');
    expect(out).toContain('plain');
    expect(out.match(/\[redacted\]/g)?.length).toBe(4);
  });
});
