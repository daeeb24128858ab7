import type { SDKMessage, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';

/**
 * A session resumed on a deferred call to an MCP tool (an approval decision on `send_file` or an
 * `mcp.json` server's tool) first ends with an interim result — measured, claude 2.1.332:
 * `terminal_reason: 'tool_deferred_unavailable'`, "… isn't available, so its deferred call didn't
 * run": the call is tried before the process has connected its MCP servers. The process then
 * waits for input; an empty user message makes it try the call again (now connected), carry it
 * out and end the turn with its real result. The model is shown no extra text.
 */

/** Retries per turn; a server still unavailable after them ends the turn with the interim result. */
export const MAX_DEFERRED_RETRIES = 2;

/** The interim result of a deferred call whose MCP tool was not available yet. */
export function deferredToolUnavailable(message: SDKMessage): boolean {
  return (
    message.type === 'result' &&
    'terminal_reason' in message &&
    message.terminal_reason === 'tool_deferred_unavailable'
  );
}

/** What makes the process try the deferred call again. */
export function retryDeferredMessage(): SDKUserMessage {
  return { type: 'user', message: { role: 'user', content: '' }, parent_tool_use_id: null };
}
