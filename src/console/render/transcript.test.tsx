import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { htmlFindings } from './html-check.js';
import { TranscriptView } from './transcript.js';
import { buildTranscriptModel, splitTurns, tokensOf, turnCosts, weightOf } from './transcript-model.js';

const FIXTURES = join(import.meta.dirname, '../../conversations/markdown/fixtures');
const load = (name: string): SessionStoreEntry[] =>
  readFileSync(join(FIXTURES, name), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SessionStoreEntry);

/** The session recorded with the real `claude` binary: main stream and one subagent stream. */
const real = {
  transcripts: [
    { subpath: null, entries: load('real-main.jsonl') },
    {
      subpath: 'subagents/agent-a170c9b403c81220d',
      entries: load('real-subagents_agent-a170c9b403c81220d.jsonl'),
    },
  ],
};

const html = (exported: Parameters<typeof TranscriptView>[0]['exported'], costUsd?: number): string =>
  String(<TranscriptView exported={exported} {...(costUsd === undefined ? {} : { costUsd })} />);

let uuid = 0;
const user = (text: string): SessionStoreEntry =>
  ({
    type: 'user',
    uuid: `u${++uuid}`,
    timestamp: '2026-11-20T08:30:00.000Z',
    message: { role: 'user', content: text },
  }) as SessionStoreEntry;
const assistant = (
  id: string,
  content: unknown[],
  usage = { input_tokens: 100, output_tokens: 10 },
): SessionStoreEntry =>
  ({
    type: 'assistant',
    uuid: `a${++uuid}`,
    timestamp: '2026-11-20T08:30:01.000Z',
    message: { id, role: 'assistant', model: 'claude-x', content, usage },
  }) as SessionStoreEntry;
const toolResult = (id: string, text: string): SessionStoreEntry =>
  ({
    type: 'user',
    uuid: `r${++uuid}`,
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: text }] },
  }) as SessionStoreEntry;

describe('transcript model', () => {
  it('cuts the real transcript into its prompts and reads tokens once per API message', () => {
    const main = real.transcripts[0]?.entries ?? [];
    // Six prompts, then `/compact` (its own turn: the command the person ran) and one more prompt.
    expect(splitTurns(main).length).toBeGreaterThanOrEqual(6);
    const tokens = tokensOf([
      assistant('m1', [{ type: 'text', text: 'a' }]),
      assistant('m1', [{ type: 'tool_use', id: 't', name: 'Bash', input: {} }]),
      assistant('m2', [{ type: 'text', text: 'b' }], { input_tokens: 5, output_tokens: 1 }),
    ]);
    expect(tokens).toEqual({ input: 105, output: 11, cacheCreation: 0, cacheRead: 0 });
  });

  it('shares the session cost by weighted tokens (exact at one model: 15 178 in + 31 out of $0.061332)', () => {
    // Measured with the real app: three turns, costs 0.061332, 0.122552, 0.06216 (sum 0.246044).
    const weights = [
      weightOf({ input: 15178, output: 31, cacheCreation: 0, cacheRead: 0 }),
      weightOf({ input: 15241 + 15307, output: 6 + 12, cacheCreation: 0, cacheRead: 0 }),
      weightOf({ input: 15355, output: 37, cacheCreation: 0, cacheRead: 0 }),
    ];
    const costs = turnCosts(weights, 0.246044).map((c) => Number(c?.toFixed(6)));
    expect(costs).toEqual([0.061332, 0.122552, 0.06216]);
    expect(turnCosts([0, 0], 1)).toEqual([undefined, undefined]);
    expect(turnCosts([1], undefined)).toEqual([undefined]);
  });

  it('attaches the subagent stream to the Agent call that started it, its tokens to that turn', () => {
    const model = buildTranscriptModel(real, 1);
    expect(model.subagentsByCall.get('toolu_offline_360956ae0c8bf4ff')?.name).toBe('agent-a170c9b403c81220d');
    expect(model.unlinked).toEqual([]);
    const sum = (model.turns ?? []).reduce((s, t) => s + (t.costUsd ?? 0), 0);
    expect(sum).toBeCloseTo(1, 9);
  });
});

describe('TranscriptView', () => {
  it('renders the real session: turns with cost, messages, folded tool calls, the subagent under its call', () => {
    const out = html(real, 0.5);
    expect(out).toContain('<section class="turn" aria-label="Turn 1">');
    expect(out).toMatch(
      /Turn 1<span class="turn-facts"> · [\d,]+ in · [\d,]+ out tokens · \$0\.\d{4}<\/span>/,
    );
    expect(out).toContain(
      '<details class="tool failed"><summary><span class="tool-name">Bash</span> · echo hello',
    );
    expect(out).toMatch(
      /<details class="tool"><summary><span class="tool-name">Agent<\/span>[^]*?<details class="subagent"><summary>Subagent agent-a170c9b403c81220d · researcher · Ask researcher/,
    );
    expect(out).toContain('<time datetime="2026-11-20T08:30:00.000Z">2026-11-20 08:30:00 UTC</time>');
    expect(out).toContain('Attached <strong>');
    expect(htmlFindings(out)).toEqual([]);
  });

  it('renders hostile messages, tool input and results inert', () => {
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[c](javascript:alert(1))',
      '![b](http://127.0.0.1:9/beacon)',
      'evil\u202Etxt.exe',
    ].join('\n\n');
    const out = html({
      transcripts: [
        {
          subpath: null,
          entries: [
            user(hostile),
            assistant('m1', [
              { type: 'text', text: hostile },
              {
                type: 'tool_use',
                id: 't1',
                name: '<img src=x onerror=alert(1)>',
                input: { command: 'cat evil\u202Etxt.exe <script>' },
              },
            ]),
            toolResult('t1', '<script>alert(2)</script>\u0000 ![b](http://127.0.0.1:9/beacon)'),
            assistant('m2', [{ type: 'thinking', thinking: '<img src=x onerror=alert(3)>' }]),
          ],
        },
      ],
    });
    expect(out).not.toMatch(/<script|<img|javascript:alert\(1\)"|href="http:\/\/127/i);
    expect(out).not.toMatch(/<[^>]*\son\w+=/i);
    expect(out).not.toContain('\u202E');
    expect(out).not.toContain('\u0000');
    expect(out).toContain('evil[U+202E]txt.exe');
    expect(out).toContain('[image: b → http://127.0.0.1:9/beacon]');
    expect(out).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(htmlFindings(out)).toEqual([]);
  });

  it('cuts a long tool result, says a missing result and a missing history', () => {
    const out = html({
      transcripts: [
        {
          subpath: null,
          entries: [
            user('go'),
            assistant('m1', [
              { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'yes' } },
              { type: 'tool_use', id: 't2', name: 'Bash', input: { command: 'sleep 99' } },
            ]),
            toolResult('t1', 'y\n'.repeat(10_000)),
          ],
        },
      ],
    });
    expect(out).toContain('16,000 more characters (export the session for all of it)');
    expect(out).toContain('No result was recorded');
    expect(html({ transcripts: [{ subpath: null, entries: null }] })).toContain('missing from the store');
  });
});
