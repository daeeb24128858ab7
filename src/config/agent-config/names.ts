/** Names of agents, MCP servers and skills: they end up in tool names and folder names. */
export const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const NAME_RULE = "use 1–64 characters a-z, 0-9 and '-' (not at the ends)";

/** MCP server names the runner uses itself (`omnicloud`: `send_file`, see `agent/send-file.ts`). */
export const RESERVED_MCP_NAMES: readonly string[] = ['omnicloud'];
