import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, type Options, type SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LABEL, demoModel } from './demo-model.js';
import { errorReply } from './replies.js';
import { startModelServer, type ModelServer } from './server.js';
import { userTexts } from './transcript-view.js';

/** Drives the real SDK and its bundled `claude` binary against the offline model server. */

let server: ModelServer;
let tmp: string;
let cwd: string;

/** Pace of `stream <N> words` here (set explicitly: independent of OMNICLOUD_DEMO_TOKEN_MS). */
const TOKEN_MS = 10;

beforeAll(async () => {
  server = await startModelServer({ tokenMs: TOKEN_MS });
  tmp = await mkdtemp(join(tmpdir(), 'omni-model-'));
  cwd = join(tmp, 'work');
  const skill = join(cwd, '.claude', 'skills', 'hello');
  await mkdir(skill, { recursive: true });
  await writeFile(
    join(skill, 'SKILL.md'),
    '---\nname: hello\ndescription: Greets from a script\n---\nRun:\n```bash\necho "hello from $CLAUDE_SKILL_DIR"\n```\n',
  );
});

afterAll(async () => {
  await server.close();
  await rm(tmp, { recursive: true, force: true });
});

function options(extra: Partial<Options> = {}): Options {
  return {
    cwd,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: tmp,
      TMPDIR: tmp,
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: 'test-key',
      CLAUDE_CONFIG_DIR: join(tmp, 'config'),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_DISABLE_BACKGROUND_TASKS: '1',
      CLAUDE_CODE_MAX_RETRIES: '1',
      API_TIMEOUT_MS: '20000',
    },
    settingSources: ['project'],
    allowedTools: ['Bash', 'Skill'],
    agents: {
      researcher: { description: 'Researches questions', prompt: 'You are the researcher.', tools: ['Read'] },
    },
    ...extra,
  };
}

/** One turn; returns the result message (the iterator throws after an error result). */
async function turn(prompt: string, extra: Partial<Options> = {}): Promise<SDKResultMessage> {
  let result: SDKResultMessage | undefined;
  try {
    for await (const message of query({ prompt, options: options(extra) })) {
      if (message.type === 'result') result = message;
    }
  } catch (err) {
    if (result === undefined) throw err;
  }
  if (result === undefined) throw new Error('no result message');
  return result;
}

const resultText = (r: SDKResultMessage): string => ('result' in r ? r.result : '');

describe('offline model with the real claude binary', () => {
  it('answers a turn, and remembers it on a resumed turn', async () => {
    server.requests.length = 0;
    const first = await turn('hello offline world');
    expect(first.is_error).toBe(false);
    expect(resultText(first)).toContain(DEMO_LABEL);
    expect(resultText(first)).toContain('no earlier user messages');
    expect(first.total_cost_usd).toBeGreaterThan(0);

    const second = await turn('and a second message', { resume: first.session_id });
    expect(second.session_id).toBe(first.session_id);
    expect(resultText(second)).toContain('I was shown 1 earlier user message.');
    expect(resultText(second)).toContain('"hello offline world"');

    const last = server.requests.at(-1)!;
    expect(last.path).toBe('/v1/messages?beta=true');
    expect(last.stream).toBe(true);
    expect(userTexts(last)).toEqual(['hello offline world', 'and a second message']);
    expect(last.headers['x-api-key']).toBe('[masked]');
  });

  it('runs a project skill: Skill, then Bash with its command, then quotes the output', async () => {
    const result = await turn('use skill hello');
    expect(result.is_error).toBe(false);
    expect(resultText(result)).toContain('from skill "hello"');
    expect(resultText(result)).toContain(`hello from ${join(cwd, '.claude', 'skills', 'hello')}`);
  });

  it('asks a subagent, which is shown its own prompt, and quotes its answer', async () => {
    server.requests.length = 0;
    const result = await turn('ask subagent researcher: how many disks?');
    expect(resultText(result)).toContain('Subagent "researcher" answered:');
    expect(resultText(result)).toContain('I received the task "how many disks?"');
    expect(resultText(result)).toContain('My instructions begin: "You are the researcher."');
    expect(server.requests.map((r) => r.body.tools?.length ?? 0)).toContain(1);
  });

  it('streams `stream 20 words` to the SDK as 20 text deltas spread over time', async () => {
    const deltas: Array<{ text: string; at: number }> = [];
    const prompt = 'stream 20 words';
    for await (const message of query({ prompt, options: options({ includePartialMessages: true }) })) {
      if (message.type !== 'stream_event' || message.event.type !== 'content_block_delta') continue;
      if (message.event.delta.type === 'text_delta') {
        deltas.push({ text: message.event.delta.text, at: performance.now() });
      }
    }
    const words = Array.from({ length: 20 }, (_, i) => `word${i + 1}`).join(' ');
    expect(deltas).toHaveLength(20);
    expect(deltas.map((d) => d.text).join('')).toBe(`${DEMO_LABEL} ${words}`);
    // 19 intervals between the first and the last delta; half of it allows for the binary batching reads.
    expect(deltas.at(-1)!.at - deltas[0]!.at).toBeGreaterThanOrEqual((19 * TOKEN_MS) / 2);
  });

  it('turns a scripted HTTP 500 into an error result once retries are used up', async () => {
    server.setHandler(() => errorReply(500, 'scripted outage'));
    try {
      const result = await turn('this will fail');
      expect(result.is_error).toBe(true);
      expect(JSON.stringify(result)).toContain('scripted outage');
    } finally {
      server.setHandler(demoModel);
    }
  });
});
