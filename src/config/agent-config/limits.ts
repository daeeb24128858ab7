import { DAY_MS } from '../../core/clock.js';

/**
 * Bounds of the agent-config folder's files (issue 18: whatever a file may say, the code behind it
 * — the SDK options, the binary's timers, the model's context — can use).
 */

/** `$comment` fields and other free notes. */
export const MAX_COMMENT_CHARS = 4096;
/** A file path (relative to the folder) or a command (Linux PATH_MAX). */
export const MAX_PATH_CHARS = 4096;
/** A URL of a remote MCP server. */
export const MAX_URL_CHARS = 2048;
/** A header or environment value handed to an MCP server (a token, a few KB at most). */
export const MAX_VALUE_CHARS = 16_384;
/** Header names, environment variable names, tool names, model ids. */
export const MAX_KEY_CHARS = 256;
/** Subagents in agents.json, MCP servers in mcp.json. */
export const MAX_AGENTS = 50;
export const MAX_MCP_SERVERS = 50;
/** Tools listed by one subagent; arguments of one stdio server; headers / env entries of one server. */
export const MAX_LIST_ITEMS = 200;
/** A subagent's `description` (the model reads every one to pick a subagent). */
export const MAX_DESCRIPTION_CHARS = 4096;
/**
 * `system_prompt.md` and a subagent's prompt file: they are sent with every request, so they must
 * leave the model's context room for the conversation (~25k tokens of English).
 */
export const MAX_PROMPT_FILE_CHARS = 100_000;
/** An MCP tool-call timeout: a day, far below the 2^31-1 ms a timer can hold (a longer one fires at once). */
export const MAX_MCP_TIMEOUT_MS = DAY_MS;
