import type { Options, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { contextBlock } from './message-context.js';
import type { TenantAgent } from './profile.js';
import type { MessageContext } from './types.js';

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

/** One message of a user turn: its text, when it was sent, and who sent it / what it replies to. */
export interface UserPart extends MessageContext {
  text: string;
  messageTime: Date | undefined;
}

type TextBlock = { type: 'text'; text: string };

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
  return partsMessage([{ text, messageTime }, ...more]);
}

/**
 * `userMessage` for parts that carry their context: per part its header (`partHeader`), then its
 * text exactly as typed. A part without sender or quote is what `userMessage` always made.
 */
export function partsMessage(parts: readonly UserPart[]): SDKUserMessage {
  const blocks: TextBlock[] = [];
  for (const part of parts) blocks.push(...partHeader(part), { type: 'text', text: part.text });
  return { type: 'user', message: { role: 'user', content: blocks }, parent_tool_use_id: null };
}

/**
 * The blocks before a part's text: its time, then (issue 17) who sent it and what it replies to, in
 * one block of its own, so the text itself stays exactly what the user typed.
 */
export function partHeader(part: UserPart): TextBlock[] {
  const context = contextBlock(part);
  return [...(part.messageTime ? [timeBlock(part.messageTime)] : []), ...(context ? [context] : [])];
}

/** When the user sent a message, as the text block that precedes it. */
export function timeBlock(messageTime: Date): TextBlock {
  return { type: 'text', text: `<message_time>${messageTime.toISOString()}</message_time>` };
}

/** `userMessage` as a one-message prompt stream (a turn in a process that exits after it). */
export async function* userPrompt(
  text: string,
  messageTime: Date | undefined,
): AsyncGenerator<SDKUserMessage> {
  yield userMessage(text, messageTime);
}
