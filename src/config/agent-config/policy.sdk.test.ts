/**
 * The default tool policy checked against the REAL bundled `claude` binary: a tiny fake Anthropic
 * Messages API (private to this file) scripts the model's tool calls, and each test asserts what
 * the binary allowed, denied and returned in the next request's tool_result blocks.
 * Two real runs (~0.5–1 s and ~200 MB each).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { query, type Options, type SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAgentConfigDir, defaultToolPolicy, installSkills, loadAgentConfig } from './index.js';

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };
interface ApiRequest {
  model: string;
  stream?: boolean;
  system?: unknown;
  tools?: Array<{ name: string }>;
  messages: Array<{ role: string; content: unknown }>;
}
interface ToolResult {
  type: 'tool_result';
  tool_use_id: string;
  is_error?: boolean;
  content: unknown;
}

/** Minimal Messages API: `reply(request)` decides the content blocks; SSE with `event:` lines. */
async function startFakeApi(reply: (req: ApiRequest) => Block[]) {
  const requests: ApiRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (!req.url?.startsWith('/v1/messages') || req.url.includes('count_tokens')) {
        res.writeHead(404).end('{}');
        return;
      }
      const request = JSON.parse(body) as ApiRequest;
      requests.push(request);
      // A runaway loop must not hang the suite: after 12 requests the model only talks.
      const blocks = requests.length > 12 ? [{ type: 'text' as const, text: 'stop' }] : reply(request);
      const stop = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
      const usage = { input_tokens: 10, output_tokens: 5 };
      const message = {
        id: `msg_${requests.length}`,
        type: 'message',
        role: 'assistant',
        model: request.model,
        usage,
      };
      if (!request.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...message, content: blocks, stop_reason: stop, stop_sequence: null }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (event: string, data: object) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
      send('message_start', { message: { ...message, content: [], stop_reason: null } });
      blocks.forEach((b, index) => {
        if (b.type === 'text') {
          send('content_block_start', { index, content_block: { type: 'text', text: '' } });
          send('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } });
        } else {
          send('content_block_start', { index, content_block: { ...b, input: {} } });
          send('content_block_delta', {
            index,
            delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) },
          });
        }
        send('content_block_stop', { index });
      });
      send('message_delta', {
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: 5 },
      });
      send('message_stop', {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A stdio MCP server with two tools, as a script file (newline-delimited JSON-RPC). */
const FAKE_MCP_SERVER = `
const rl = require('node:readline').createInterface({ input: process.stdin });
const send = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
rl.on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  if (m.method === 'initialize') return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'fake-docs', version: '1' } } });
  if (m.method === 'tools/list') return send({ jsonrpc: '2.0', id: m.id, result: { tools: [
    { name: 'search_documentation', description: 'Search docs', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } },
    { name: 'read_documentation', description: 'Read a page', inputSchema: { type: 'object', properties: {} } } ] } });
  if (m.method === 'tools/call') return send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'MCP_RESULT ' + m.params.name }] } });
  send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'unknown method' } });
});
`;

const toolUse = (id: string, name: string, input: Record<string, unknown>): Block => ({
  type: 'tool_use',
  id,
  name,
  input,
});
const hasToolResult = (req: ApiRequest) =>
  req.messages.some(
    (m) => Array.isArray(m.content) && m.content.some((c: { type?: string }) => c.type === 'tool_result'),
  );
const systemText = (req: ApiRequest) => JSON.stringify(req.system ?? '');

/** Every tool_result the binary sent back, by tool_use id. */
function toolResults(requests: ApiRequest[]): Map<string, { isError: boolean; text: string }> {
  const out = new Map<string, { isError: boolean; text: string }>();
  for (const req of requests) {
    for (const m of req.messages) {
      if (!Array.isArray(m.content)) continue;
      for (const c of m.content as ToolResult[]) {
        if (c.type === 'tool_result') {
          out.set(c.tool_use_id, {
            isError: c.is_error === true,
            text: typeof c.content === 'string' ? c.content : JSON.stringify(c.content),
          });
        }
      }
    }
  }
  return out;
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'policy-sdk-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function runTurn(baseUrl: string, cwd: string, options: Partial<Options>): Promise<SDKMessage[]> {
  const home = await mkdtemp(path.join(tmp, 'home-'));
  await mkdir(cwd, { recursive: true });
  const messages: SDKMessage[] = [];
  for await (const m of query({
    prompt: 'go',
    options: {
      cwd,
      settingSources: ['project'],
      env: {
        PATH: process.env.PATH,
        HOME: home,
        TMPDIR: home,
        ANTHROPIC_BASE_URL: baseUrl,
        ANTHROPIC_API_KEY: 'k',
        CLAUDE_CONFIG_DIR: home,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_DISABLE_BACKGROUND_TASKS: '1',
        CLAUDE_CODE_MAX_RETRIES: '1',
      },
      ...options,
    },
  })) {
    messages.push(m);
  }
  return messages;
}

describe('default tool policy with the real claude binary', () => {
  it('shipped config: the skill script runs, anything else Bash/WebFetch is denied, skills and the subagent work', async () => {
    const config = await loadAgentConfig(defaultAgentConfigDir(), { env: {} });
    const cwd = path.join(tmp, 'workspace-shipped');
    await installSkills(config.skills, cwd);
    const policy = defaultToolPolicy(config, { cwd });
    const hello = 'bash .claude/skills/hello-world/scripts/hello.sh';

    const api = await startFakeApi((req) => {
      if (systemText(req).includes('AWS support engineer'))
        return [{ type: 'text', text: 'aws-support report' }];
      if (hasToolResult(req)) return [{ type: 'text', text: 'all done' }];
      return [
        toolUse('hello', 'Bash', { command: hello, description: 'greet' }),
        toolUse('hello-arg', 'Bash', { command: `${hello} Alice`, description: 'greet' }),
        toolUse('hello-abs', 'Bash', {
          command: `bash ${path.join(cwd, '.claude/skills/hello-world/scripts/hello.sh')}`,
          description: 'greet',
        }),
        toolUse('curl', 'Bash', { command: 'curl http://example.com', description: 'fetch' }),
        toolUse('chained', 'Bash', { command: `${hello} && curl http://example.com`, description: 'x' }),
        toolUse('escape', 'Bash', {
          command: 'bash .claude/skills/hello-world/scripts/../../../../evil.sh',
          description: 'x',
        }),
        toolUse('webfetch', 'WebFetch', { url: 'http://example.com', prompt: 'x' }),
        toolUse('skill', 'Skill', { skill: 'hello-world' }),
        toolUse('bundled-skill', 'Skill', { skill: 'dataviz' }),
        toolUse('agent', 'Agent', {
          description: 'AWS question',
          prompt: 'What is S3?',
          subagent_type: 'aws-support',
        }),
      ];
    });
    try {
      const messages = await runTurn(api.url, cwd, {
        ...policy,
        agents: config.agents,
        mcpServers: config.mcpServers,
        ...(config.systemPrompt ? { systemPrompt: config.systemPrompt } : {}),
      });
      const results = toolResults(api.requests);
      expect(results.get('hello')).toEqual({
        isError: false,
        text: expect.stringMatching(/Hello, there!\nDate: .*\nHost: /),
      });
      expect(results.get('hello-arg')?.text).toMatch(/Hello, Alice!/);
      expect(results.get('hello-abs')?.text).toMatch(/Hello, there!/);
      for (const denied of ['curl', 'chained', 'escape', 'webfetch']) {
        expect(results.get(denied)?.isError, denied).toBe(true);
      }
      expect(results.get('curl')?.text).toMatch(/requires approval/);
      expect(results.get('skill')).toEqual({ isError: false, text: 'Launching skill: hello-world' });
      expect(results.get('bundled-skill')?.text).toMatch(/not in this session's skills allowlist/);
      expect(results.get('agent')?.text).toMatch(/aws-support report/);

      const result = messages.find((m) => m.type === 'result');
      expect(result).toMatchObject({ subtype: 'success', is_error: false });
      const denials =
        result?.type === 'result' ? result.permission_denials.map((d) => d.tool_use_id).sort() : [];
      expect(denials).toEqual(['chained', 'curl', 'escape', 'webfetch']);

      // What the model was shown: our system prompt, only our skill; the subagent its own prompt/model/tools.
      const [first] = api.requests;
      expect(systemText(first as ApiRequest)).toContain('You are OmniCloud Ops Agent');
      expect(JSON.stringify(first)).toContain('- hello-world: Greets the user');
      expect(JSON.stringify(first)).not.toContain('dataviz');
      const sub = api.requests.find((r) => systemText(r).includes('AWS support engineer'));
      expect(sub?.model).toMatch(/sonnet/);
      // The AWS MCP servers are disabled, so Read is all it has (plus the binary's placeholder).
      expect(sub?.tools?.map((t) => t.name).filter((n) => n !== 'DeferredToolPlaceholder')).toEqual(['Read']);
    } finally {
      await api.close();
    }
  });

  it('MCP: `mcp__<server>` allows a server in the main agent and subagents; unreachable servers do not stop the turn', async () => {
    const configDir = path.join(tmp, 'config-mcp');
    await mkdir(path.join(configDir, 'agents'), { recursive: true });
    await writeFile(path.join(tmp, 'fake-mcp.cjs'), FAKE_MCP_SERVER);
    await writeFile(path.join(configDir, 'agents', 'docs.md'), 'DOCS_AGENT: look things up.');
    await writeFile(
      path.join(configDir, 'agents.json'),
      JSON.stringify({
        docs: {
          description: 'Looks up docs',
          prompt_file: 'agents/docs.md',
          tools: ['mcp__docs'],
          model: 'haiku',
        },
      }),
    );
    await writeFile(
      path.join(configDir, 'mcp.json'),
      JSON.stringify({
        mcpServers: {
          docs: { command: '${NODE_BIN}', args: [path.join(tmp, 'fake-mcp.cjs')], alwaysLoad: true },
          'no-such-command': { command: path.join(tmp, 'missing-binary'), alwaysLoad: true },
          'refused-http': { type: 'http', url: 'http://127.0.0.1:1/mcp' },
        },
      }),
    );
    const config = await loadAgentConfig(configDir, { env: { NODE_BIN: process.execPath } });
    const policy = defaultToolPolicy(config);
    expect(policy.allowedTools).toEqual(['Agent', 'mcp__docs', 'mcp__no-such-command', 'mcp__refused-http']);

    const api = await startFakeApi((req) => {
      if (systemText(req).includes('DOCS_AGENT')) {
        return hasToolResult(req)
          ? [{ type: 'text', text: 'docs agent done' }]
          : [toolUse('sub-mcp', 'mcp__docs__read_documentation', {})];
      }
      if (hasToolResult(req)) return [{ type: 'text', text: 'all done' }];
      return [
        toolUse('main-mcp', 'mcp__docs__search_documentation', { q: 's3' }),
        toolUse('agent', 'Agent', { description: 'docs', prompt: 'look up s3', subagent_type: 'docs' }),
      ];
    });
    try {
      const messages = await runTurn(api.url, path.join(tmp, 'workspace-mcp'), {
        ...policy,
        agents: config.agents,
        mcpServers: config.mcpServers,
      });
      const init = messages.find((m) => m.type === 'system' && m.subtype === 'init');
      const statuses = init?.type === 'system' && init.subtype === 'init' ? init.mcp_servers : [];
      expect(Object.fromEntries(statuses.map((s) => [s.name, s.status]))).toEqual({
        docs: 'connected',
        'no-such-command': 'failed',
        'refused-http': 'failed',
      });
      const results = toolResults(api.requests);
      expect(results.get('main-mcp')).toEqual({
        isError: false,
        text: expect.stringContaining('MCP_RESULT search_documentation'),
      });
      expect(results.get('sub-mcp')).toEqual({
        isError: false,
        text: expect.stringContaining('MCP_RESULT read_documentation'),
      });
      expect(messages.find((m) => m.type === 'result')).toMatchObject({
        subtype: 'success',
        is_error: false,
        permission_denials: [],
      });
    } finally {
      await api.close();
    }
  });
});
