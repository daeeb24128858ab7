import { randomBytes, randomUUID } from 'node:crypto';
import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';

/**
 * Transcript entries shaped like the SDK's (type, uuid, parentUuid chain, timestamp, nested
 * message content). Sizes follow what the real SDK mirrors (docs/agent-sdk-offline notes): the
 * first turn ~17 entries / ~77 KB (system prompt snapshot, tool list), later turns ~7 entries,
 * then a one-entry `cost-state` batch.
 */
let parent: string | null = null;

function text(bytes: number): string {
  // Base64 of random bytes: incompressible, JSON-safe, like tool output.
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64')
    .slice(0, bytes);
}

export function sdkEntry(type: string, bytes: number, sessionId: string): SessionStoreEntry {
  const uuid = randomUUID();
  const entry: SessionStoreEntry = {
    parentUuid: parent,
    isSidechain: false,
    userType: 'external',
    cwd: '/var/task',
    sessionId,
    version: '2.1.332',
    gitBranch: '',
    type,
    uuid,
    timestamp: new Date().toISOString(),
    message:
      type === 'assistant'
        ? {
            id: `msg_${randomBytes(12).toString('hex')}`,
            type: 'message',
            role: 'assistant',
            model: 'claude-opus-5-5',
            content: [{ type: 'text', text: text(bytes) }],
            stop_reason: 'end_turn',
            usage: { input_tokens: 1234, output_tokens: 321, cache_read_input_tokens: 20_000 },
          }
        : {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: `toolu_${randomBytes(8).toString('hex')}`,
                content: text(bytes),
              },
            ],
          },
  };
  parent = uuid;
  return entry;
}

/** The entries of turn `n` (1-based) as the SDK's batched mirror sends them: [main batch, cost-state batch]. */
export function sdkTurn(n: number, sessionId: string): SessionStoreEntry[][] {
  const main: SessionStoreEntry[] = [];
  if (n === 1) {
    // ~77 KB: a prompt snapshot (~50 KB), a request-shape entry (~20 KB) and 15 small ones.
    main.push(sdkEntry('system', 50_000, sessionId), sdkEntry('attachment', 20_000, sessionId));
    for (let i = 0; i < 15; i++) main.push(sdkEntry(i % 2 ? 'assistant' : 'user', 300, sessionId));
  } else {
    // ~7 entries, ~18 KB: prompt, tool call, tool result (largest), answer…
    const sizes = [400, 600, 9_000, 700, 4_000, 500, 2_000];
    sizes.forEach((size, i) => main.push(sdkEntry(i % 2 ? 'assistant' : 'user', size, sessionId)));
  }
  const cost: SessionStoreEntry = {
    type: 'cost-state',
    sessionId,
    totalCostUsd: 0.12 * n,
    timestamp: new Date().toISOString(),
  };
  return [main, [cost]];
}

export function jsonlBytes(entries: SessionStoreEntry[]): number {
  let n = 0;
  for (const e of entries) n += Buffer.byteLength(JSON.stringify(e)) + 1;
  return n;
}
