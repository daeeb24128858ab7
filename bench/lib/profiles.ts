import type { AgentProfile } from '../../src/agent/profile.js';

/** The agent the benchmarks run: no subagents, MCP servers, skills or appended prompt; default tools. */
export const BARE_PROFILE: AgentProfile = {
  agents: {},
  mcpServers: {},
  systemPrompt: undefined,
  skills: [],
  tools: { allowedTools: [], disallowedTools: [], permissionMode: 'default' },
};
