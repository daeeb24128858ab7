import { describe, expect, it } from 'vitest';
import { mcpCredentialValues } from './tenant-agents.js';

describe('tenant agents', () => {
  it('treats MCP server header and env values as credentials', () => {
    expect(
      mcpCredentialValues({
        docs: { type: 'http', url: 'https://x', headers: { Authorization: 'Bearer abc-secret' } },
        local: { command: 'node', args: ['s.js'], env: { TOKEN: 'tok-secret' } },
      }).sort(),
    ).toEqual(['Bearer abc-secret', 'tok-secret']);
  });
});
