import type { Options, SDKUserMessage, SessionStore } from '@anthropic-ai/claude-agent-sdk';
import type { TenantAgent } from './profile.js';

export interface TurnOptionsInput {
  agent: TenantAgent;
  env: Record<string, string>;
  store: SessionStore;
  /** Resume this session, or start a new one with `newSessionId`. */
  resume: string | undefined;
  newSessionId: string;
  model: string | undefined;
  maxTurns: number;
  abortController: AbortController;
  pathToClaudeCodeExecutable?: string;
}

/** The `query()` options of one turn. Pure: everything comes from the inputs. */
export function turnOptions(input: TurnOptionsInput): Options {
  const { profile, workspace } = input.agent;
  const bypass = profile.tools.permissionMode === 'bypassPermissions';
  return {
    cwd: workspace.cwd,
    env: input.env,
    abortController: input.abortController,
    sessionStore: input.store,
    ...(input.resume ? { resume: input.resume } : { sessionId: input.newSessionId }),
    model: input.model,
    maxTurns: input.maxTurns,
    agents: profile.agents,
    mcpServers: profile.mcpServers,
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

/**
 * The user's message as one SDK user message: the message time in its own text block (so the
 * agent knows "now" for the user) followed by the text exactly as typed.
 */
export async function* userPrompt(
  text: string,
  messageTime: Date | undefined,
): AsyncGenerator<SDKUserMessage> {
  const blocks: Array<{ type: 'text'; text: string }> = [];
  if (messageTime)
    blocks.push({ type: 'text', text: `<message_time>${messageTime.toISOString()}</message_time>` });
  blocks.push({ type: 'text', text });
  yield { type: 'user', message: { role: 'user', content: blocks }, parent_tool_use_id: null };
}
