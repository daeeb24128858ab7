import type { Options, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import type { TenantAgent } from './profile.js';

export interface TurnOptionsInput {
  agent: TenantAgent;
  env: Record<string, string>;
  model: string | undefined;
  maxTurns: number;
  pathToClaudeCodeExecutable?: string;
}

/** What the runner decides per turn and per process: the session, its store and the abort controller. */
export type AgentOptions = Omit<Options, 'sessionStore' | 'abortController' | 'resume' | 'sessionId'>;

/**
 * The `query()` options of a tenant's agent, without the session choice, store and abort
 * controller (the runner adds those). Pure: everything comes from the inputs.
 */
export function turnOptions(input: TurnOptionsInput): AgentOptions {
  const { profile, workspace } = input.agent;
  const bypass = profile.tools.permissionMode === 'bypassPermissions';
  return {
    cwd: workspace.cwd,
    env: input.env,
    model: input.model,
    maxTurns: input.maxTurns,
    agents: profile.agents,
    mcpServers: profile.mcpServers,
    // Servers (with their env and headers, which may hold secrets) go in the initialize request,
    // not on the binary's command line where /proc shows them to every user of the machine.
    mcpServersDelivery: 'initialize',
    // Text as it is generated, for live replies (Telegram drafts/edits, SSE, the terminal chat).
    includePartialMessages: true,
    // Project-level skills (<cwd>/.claude/skills) survive a sessionStore resume; user-level ones do not.
    settingSources: ['project'],
    skills: profile.skills,
    systemPrompt: profile.systemPrompt
      ? { type: 'preset', preset: 'claude_code', append: profile.systemPrompt }
      : { type: 'preset', preset: 'claude_code' },
    allowedTools: profile.tools.allowedTools,
    disallowedTools: profile.tools.disallowedTools,
    permissionMode: profile.tools.permissionMode,
    ...(bypass ? { allowDangerouslySkipPermissions: true } : {}),
    ...(input.pathToClaudeCodeExecutable
      ? { pathToClaudeCodeExecutable: input.pathToClaudeCodeExecutable }
      : {}),
  };
}

/** One message of a user turn: its text and when it was sent. */
export interface UserPart {
  text: string;
  messageTime: Date | undefined;
}

/**
 * The user's message(s) as one SDK user message: each message's time in its own text block (so the
 * agent knows "now" for the user) followed by its text exactly as typed. Several parts are
 * messages merged into one turn (sent while the conversation was busy), in order.
 */
export function userMessage(
  text: string,
  messageTime: Date | undefined,
  more: UserPart[] = [],
): SDKUserMessage {
  const blocks: Array<{ type: 'text'; text: string }> = [];
  for (const part of [{ text, messageTime }, ...more]) {
    if (part.messageTime) blocks.push(timeBlock(part.messageTime));
    blocks.push({ type: 'text', text: part.text });
  }
  return { type: 'user', message: { role: 'user', content: blocks }, parent_tool_use_id: null };
}

/** When the user sent a message, as the text block that precedes it. */
export function timeBlock(messageTime: Date): { type: 'text'; text: string } {
  return { type: 'text', text: `<message_time>${messageTime.toISOString()}</message_time>` };
}

/** `userMessage` as a one-message prompt stream (a turn in a process that exits after it). */
export async function* userPrompt(
  text: string,
  messageTime: Date | undefined,
): AsyncGenerator<SDKUserMessage> {
  yield userMessage(text, messageTime);
}
