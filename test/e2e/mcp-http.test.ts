import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantAgentResolver } from '../../src/agent/profile.js';
import { SEND_FILE_TOOL } from '../../src/agent/send-file.js';
import { createTenantAgents } from '../../src/app/tenant-agents.js';
import { parseEnv } from '../../src/config/env.js';
import { parseTenantId } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { systemMessagesText, toolNames, toolResultText } from '../../src/model/index.js';
import { blocksOf, isToolResultBlock } from '../../src/model/transcript-view.js';
import { startHttpMcpServer, type HttpMcpServer } from '../fixtures/http-mcp-server.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { captureOutput, secretForms } from '../support/leak-check.js';

/**
 * MCP over Streamable HTTP, end to end: a real MCP server (`@modelcontextprotocol/sdk`) started
 * here and guarded by a bearer token, configured through the agent-config folder's `mcp.json`
 * (`type: 'http'`, `url`, `headers` with `${VAR}` interpolated from the environment), loaded by the
 * real wiring (`createTenantAgents`: config, default tool policy, logger secrets) and driven by the
 * real `claude` binary through the offline demo model (`call tool <name> {json}`).
 */

const TOKEN = 'mcp-http-SECRET-3f9a1c7e5b2d4086';
const STALE_TOKEN = 'mcp-http-STALE-0b1c2d3e4f5a6978';

/** The ways a secret could show up: the usual encodings, and the whole header base64-encoded. */
const forms = (value: string): string[] => [
  ...secretForms(value),
  Buffer.from(`Bearer ${value}`).toString('base64'),
];

let mcp: HttpMcpServer;
let h: AgentHarness;
let resolveAgent: TenantAgentResolver;
const logLines: string[] = [];
const logger = createLogger({ level: 'debug', write: (line) => logLines.push(line) });

beforeAll(async () => {
  mcp = await startHttpMcpServer({ token: TOKEN });
  h = await startAgentHarness(PLAIN_PROFILE, {
    tenants: async (dir) => {
      const configDir = join(dir, 'agent-config');
      await mkdir(configDir, { recursive: true });
      await writeFile(join(configDir, 'system_prompt.md'), 'You are the MCP-over-HTTP test agent.\n');
      await writeFile(
        join(configDir, 'mcp.json'),
        JSON.stringify({
          mcpServers: {
            notes: {
              type: 'http',
              url: '${NOTES_MCP_URL}',
              headers: { Authorization: 'Bearer ${NOTES_MCP_TOKEN}' },
            },
            // The same server with a token it no longer accepts.
            'notes-stale': {
              type: 'http',
              url: '${NOTES_MCP_URL}',
              headers: { Authorization: 'Bearer ${NOTES_MCP_STALE_TOKEN}' },
            },
          },
        }),
      );
      const rawEnv = {
        NOTES_MCP_URL: mcp.url,
        NOTES_MCP_TOKEN: TOKEN,
        NOTES_MCP_STALE_TOKEN: STALE_TOKEN,
      };
      const env = parseEnv({ OMNICLOUD_DATA_DIR: join(dir, 'data'), OMNICLOUD_CONFIG_DIR: configDir });
      resolveAgent = (await createTenantAgents(env, logger, { rawEnv })).resolve;
      return resolveAgent;
    },
  });
});
afterAll(async () => {
  await h?.close();
  await mcp?.close();
});

describe('MCP over Streamable HTTP with the real claude binary', () => {
  it('calls a tool on a bearer-guarded HTTP MCP server; the result reaches the agent; the token never reaches a log', async () => {
    const runner = h.runnerWith({ logger });
    const key = conversationKey({ tenant: 'default', chat: 'mcp-http' });
    h.model.requests.length = 0;
    const output = captureOutput();
    const result = await runner
      .runTurn({ key, text: 'call tool mcp__notes__record_note {"text":"rotate the staging keys"}' })
      .finally(() => output.stop());

    // No bypass: the default permission mode, the servers allowed by the project's tool policy.
    const { tools } = (await resolveAgent(parseTenantId('default'))).profile;
    expect(tools.permissionMode).toBe('default');
    expect(tools.allowedTools).toEqual(['mcp__notes', 'mcp__notes-stale', SEND_FILE_TOOL]);
    // The tool ran on the server, once, with the model's arguments.
    expect(mcp.calls).toEqual([{ tool: 'record_note', args: { text: 'rotate the staging keys' } }]);
    // Its result reached the agent (the tool_result the binary sent back) and the user (quoted).
    expect(result.is_error, result.error_message ?? '').toBe(false);
    const toolResults = h.model.requests.flatMap((r) =>
      r.body.messages.flatMap((m) => blocksOf(m).filter(isToolResultBlock).map(toolResultText)),
    );
    expect(toolResults).toContain('NOTED #1: rotate the staging keys');
    expect(result.response).toContain('NOTED #1: rotate the staging keys');

    // The interpolated header arrived: every request the server accepted carried exactly it.
    // (claude 2.1.332 first tries the draft `server/discover`, which SDK 1.32.2 answers 400, then `initialize`.)
    const accepted = mcp.requests.filter((r) => r.status !== 401);
    const answered = accepted.filter((r) => r.status === 200).flatMap((r) => r.rpc);
    expect(answered).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call']));
    for (const r of accepted) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    // The stale token was refused, and no tool of that server was offered to the model.
    const refused = mcp.requests.filter((r) => r.status === 401);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.authorization).toBe(`Bearer ${STALE_TOKEN}`);
    const shown = h.model.requests
      .map((r) => `${toolNames(r).join(' ')}\n${systemMessagesText(r)}`)
      .join('\n');
    expect(shown).toContain('mcp__notes__record_note');
    expect(shown).not.toContain('mcp__notes-stale__');

    // Neither token reached a log line, the process output, or the model.
    expect(logLines.some((l) => l.includes('turn finished'))).toBe(true);
    const haystacks = {
      logs: logLines.join('\n'),
      output: output.lines.join(''),
      model: h.model.requests.map((r) => JSON.stringify(r.body)).join('\n'),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of [TOKEN, STALE_TOKEN]) {
        for (const form of forms(secret)) expect(text.includes(form), `${where} holds ${form}`).toBe(false);
      }
    }
    // The safety net is wired: the header value handed to the logger by mistake is masked.
    logger.warn('probe', { header: `Bearer ${TOKEN}` });
    expect(logLines.at(-1)).not.toContain(TOKEN);
    // … and so is the bare `${VAR}` value, logged on its own (e.g. by a tool's error message).
    logger.warn(`probe: MCP refused token ${TOKEN}`);
    expect(logLines.at(-1)).toContain('[redacted]');
    expect(logLines.at(-1)).not.toContain(TOKEN);
  });

  it('a tool of the server whose token is refused is not offered; nothing runs on the server', async () => {
    const before = mcp.calls.length;
    const refusedBefore = mcp.requests.filter((r) => r.status === 401).length;
    const result = await h.runnerWith({ logger }).runTurn({
      key: conversationKey({ tenant: 'default', chat: 'mcp-http-stale' }),
      text: 'call tool mcp__notes-stale__record_note {"text":"should not run"}',
    });
    expect(result.is_error).toBe(false);
    expect(result.response).toMatch(/not (offered|available)/i);
    expect(mcp.calls.length).toBe(before);
    // A fresh turn connects again (a new binary): the stale token was presented and refused again.
    expect(mcp.requests.filter((r) => r.status === 401).length).toBeGreaterThan(refusedBefore);
  });
});
