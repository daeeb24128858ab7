import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { loadFixture } from '../../conversations/markdown/testing/html.js';
import { chatHistory, lastAnswer, type ChatHistory, type ToolStep } from './turn-read.js';
import { TurnView } from './turn-view.js';

/**
 * The chat page's reading of stored transcripts: the real session in the conversations module's
 * fixtures (recorded with the `claude` binary and the offline model), then hand-made entries.
 */
const real = chatHistory({
  sessionId: 'b68b5c35-6196-494d-aae8-62d31687606c',
  transcripts: [
    { subpath: null, entries: loadFixture('real-main.jsonl') },
    {
      subpath: 'subagents/agent-a170c9b403c81220d',
      entries: loadFixture('real-subagents_agent-a170c9b403c81220d.jsonl'),
    },
  ],
});

const tools = (history: ChatHistory | null, turn: number): ToolStep[] =>
  (history?.turns[turn]?.steps ?? []).filter((s): s is ToolStep => s.type === 'tool');

let seq = 0;
const entry = (type: 'user' | 'assistant', content: unknown[], extra: object = {}): SessionStoreEntry =>
  ({
    type,
    uuid: `u${++seq}`,
    timestamp: '2026-12-01T10:00:00.000Z',
    message: { role: type, id: `m${seq}`, content },
    ...extra,
  }) as unknown as SessionStoreEntry;

describe('chatHistory on a real transcript', () => {
  it('cuts turns at each message, with tool calls, their outcome and summary', () => {
    expect(real?.turns.map((t) => t.user?.[0])).toContainEqual({
      type: 'text',
      text: 'call tool Bash {"command": "echo hello && ls /nonexistent"}',
    });
    const [bash] = tools(real, 0);
    expect(bash).toMatchObject({ name: 'Bash', summary: 'echo hello && ls /nonexistent' });
    expect(bash?.result?.isError).toBe(true);
    const ok = real?.turns
      .flatMap((t) => t.steps)
      .find((s) => s.type === 'tool' && s.summary.includes('world'));
    expect(ok).toMatchObject({ result: { isError: false } });
  });

  it('names the subagent an Agent call started; the last answer is the last turn’s text', () => {
    const agent = real?.turns.flatMap((t) => t.steps).find((s) => s.type === 'tool' && s.name === 'Agent');
    expect(agent).toMatchObject({ subagent: 'researcher', children: [] });
    expect(lastAnswer(real)).toMatch(/^\[offline demo model\] I was shown 1 earlier user message/);
    expect(lastAnswer(null)).toBe('');
  });
});

describe('chatHistory on hand-made entries', () => {
  it('nests the tool calls of a subagent stream under the call that started it', () => {
    const history = chatHistory({
      sessionId: 's',
      transcripts: [
        {
          subpath: null,
          entries: [
            entry('user', [{ type: 'text', text: 'check the disks' }]),
            entry('assistant', [
              {
                type: 'tool_use',
                id: 'call-1',
                name: 'Agent',
                input: { subagent_type: 'ops', prompt: 'disks' },
              },
            ]),
            entry('user', [{ type: 'tool_result', tool_use_id: 'call-1', content: 'all fine' }], {
              toolUseResult: { agentId: 'abc' },
            }),
            entry('assistant', [{ type: 'text', text: 'All **fine**.' }]),
          ],
        },
        {
          subpath: 'subagents/agent-abc',
          entries: [
            entry('user', [{ type: 'text', text: 'disks' }]),
            entry('assistant', [
              { type: 'tool_use', id: 'sub-1', name: 'Bash', input: { command: 'df -h' } },
            ]),
            entry('user', [{ type: 'tool_result', tool_use_id: 'sub-1', content: '/ 10%' }]),
          ],
        },
      ],
    });
    const [agent] = tools(history, 0);
    expect(agent?.children).toMatchObject([{ name: 'Bash', summary: 'df -h', result: { isError: false } }]);
    expect(lastAnswer(history)).toBe('All **fine**.');
  });

  it('renders hostile text inert: no tag from the transcript, no javascript: link, bidi shown', async () => {
    const hostile =
      '<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3)) a\u202Eb';
    const history = chatHistory({
      sessionId: 's',
      transcripts: [
        {
          subpath: null,
          entries: [
            entry('user', [{ type: 'text', text: hostile }]),
            entry('assistant', [
              { type: 'tool_use', id: 't', name: '<b>Bash</b>', input: { command: '<script>x</script>' } },
              { type: 'text', text: hostile },
            ]),
          ],
        },
      ],
    });
    const html = String(await (<TurnView turn={history!.turns[0]!} />).toString());
    expect(html).not.toMatch(/<(img|script|b)[\s>]/i);
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a[U+202E]b');
  });
});
