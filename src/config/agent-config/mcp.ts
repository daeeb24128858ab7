import type {
  McpHttpServerConfig,
  McpServerConfig,
  McpSSEServerConfig,
  McpStdioServerConfig,
} from '@anthropic-ai/claude-agent-sdk';
import { z } from 'zod';
import { boundedRecord, boundedText } from '../../core/schema-bounds.js';
import { hasReference, interpolate, type EnvRecord } from './interpolate.js';
import { fieldPath, readJsonFile, type IssueList } from './issues.js';
import {
  MAX_COMMENT_CHARS,
  MAX_KEY_CHARS,
  MAX_LIST_ITEMS,
  MAX_MCP_SERVERS,
  MAX_MCP_TIMEOUT_MS,
  MAX_PATH_CHARS,
  MAX_URL_CHARS,
  MAX_VALUE_CHARS,
} from './limits.js';
import { NAME_RE, NAME_RULE, RESERVED_MCP_NAMES } from './names.js';
import type { McpServerSummary } from './types.js';

export const MCP_FILE = 'mcp.json';

const common = {
  $comment: z.string().max(MAX_COMMENT_CHARS).optional(),
  /** false: validated, summarised, but not passed to the SDK. Default true. */
  enabled: z.boolean().optional(),
  /** List the server's tools directly instead of deferring them behind ToolSearch. */
  alwaysLoad: z.boolean().optional(),
  /** Per-call tool timeout in ms (the SDK ignores values below 1000). */
  timeout: z
    .number()
    .int()
    .min(1000)
    .max(MAX_MCP_TIMEOUT_MS, `must be at most ${MAX_MCP_TIMEOUT_MS} ms (a day)`)
    .optional(),
};
const stringMap = boundedRecord(z.string().max(MAX_KEY_CHARS), boundedText(MAX_VALUE_CHARS), MAX_LIST_ITEMS);

const remoteSchema = z.strictObject({
  ...common,
  type: z.enum(['http', 'sse']),
  url: z
    .string()
    .min(1, 'must be a non-empty URL')
    .max(MAX_URL_CHARS, `must be at most ${MAX_URL_CHARS} characters`),
  headers: stringMap.optional(),
});
const stdioSchema = z.strictObject({
  ...common,
  type: z.literal('stdio').optional(),
  command: z
    .string()
    .min(1, 'must be a non-empty command')
    .max(MAX_PATH_CHARS, `must be at most ${MAX_PATH_CHARS} characters`),
  args: z
    .array(boundedText(MAX_VALUE_CHARS))
    .max(MAX_LIST_ITEMS, `must list at most ${MAX_LIST_ITEMS} arguments`)
    .optional(),
  env: stringMap.optional(),
});
/** One server of mcp.json: remote (`http`/`sse` + url) or stdio (command). */
export const MCP_SERVER_SCHEMA = z.union([remoteSchema, stdioSchema]);
/** mcp.json; each server is checked on its own (`MCP_SERVER_SCHEMA`) so every problem is listed. */
export const MCP_FILE_SCHEMA = z.strictObject({
  $comment: z.string().max(MAX_COMMENT_CHARS).optional(),
  // Names are checked with `NAME_RE` below (one message); the pattern is declared for the bounds audit.
  mcpServers: boundedRecord(z.string().meta({ pattern: NAME_RE.source }), z.unknown(), MAX_MCP_SERVERS),
});

export interface LoadedMcp {
  /** Enabled servers in the SDK's shape. */
  servers: Record<string, McpServerConfig>;
  summaries: McpServerSummary[];
  /** Every configured name (enabled or not): agents may reference any of them. */
  names: Set<string>;
  /** Values the environment supplied to `${VAR}`s of enabled servers (may be credentials). */
  interpolated: string[];
}

/**
 * Reads and validates `mcp.json` (optional). `${VAR}`s in url/headers/command/args/env are
 * resolved from `env` for enabled servers; disabled servers are checked for shape only, so a
 * local setup does not need the credentials of servers it does not use.
 */
export async function loadMcp(
  dir: string,
  env: EnvRecord,
  enable: ReadonlySet<string>,
  issues: IssueList,
): Promise<LoadedMcp> {
  const result: LoadedMcp = { servers: {}, summaries: [], names: new Set(), interpolated: [] };
  const read = await readJsonFile(dir, MCP_FILE, issues);
  if (read.kind !== 'ok') {
    // A missing file has no servers; an invalid one already has its issue.
    return result;
  }
  const parsed = MCP_FILE_SCHEMA.safeParse(read.value);
  if (!parsed.success) {
    issues.addZod(MCP_FILE, [], parsed.error);
    return result;
  }
  for (const [name, raw] of Object.entries(parsed.data.mcpServers)) {
    const at = ['mcpServers', name];
    result.names.add(name);
    if (!NAME_RE.test(name)) issues.add(MCP_FILE, fieldPath(at), `invalid server name: ${NAME_RULE}`);
    if (RESERVED_MCP_NAMES.includes(name)) {
      issues.add(
        MCP_FILE,
        fieldPath(at),
        `"${name}" is the built-in server of this agent (send_file); choose another name`,
      );
    }
    const server = parseServer(raw, at, issues);
    if (!server) continue;
    const enabled = enable.has(name) || server.enabled !== false;
    const resolved = resolveServer(server, at, enabled ? env : undefined, issues, result.interpolated);
    result.summaries.push({
      name,
      type: 'url' in server ? server.type : 'stdio',
      enabled,
      alwaysLoad: server.alwaysLoad === true,
      // The raw form: a resolved value may carry a secret (`?token=${TOKEN}`).
      target: describeTarget(server),
    });
    if (enabled && resolved) result.servers[name] = resolved;
  }
  for (const name of enable) {
    if (!result.names.has(name)) {
      issues.add(
        MCP_FILE,
        fieldPath(['mcpServers', name]),
        'asked to enable a server that is not configured',
      );
    }
  }
  return result;
}

type RemoteEntry = z.infer<typeof remoteSchema>;
type StdioEntry = z.infer<typeof stdioSchema>;

function parseServer(raw: unknown, at: string[], issues: IssueList): RemoteEntry | StdioEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.add(
      MCP_FILE,
      fieldPath(at),
      'expected an object with "command" (stdio) or "type": "http" and "url"',
    );
    return undefined;
  }
  const type: unknown = (raw as { type?: unknown }).type;
  const schema =
    type === 'http' || type === 'sse'
      ? remoteSchema
      : type === undefined || type === 'stdio'
        ? stdioSchema
        : undefined;
  if (!schema) {
    issues.add(
      MCP_FILE,
      fieldPath([...at, 'type']),
      `must be "stdio" (the default), "http" or "sse", got ${JSON.stringify(type)}`,
    );
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    issues.addZod(MCP_FILE, at, parsed.error);
    return undefined;
  }
  return parsed.data;
}

/** Interpolates when `env` is given (enabled servers) and converts to the SDK's shape. */
function resolveServer(
  server: RemoteEntry | StdioEntry,
  at: string[],
  env: EnvRecord | undefined,
  issues: IssueList,
  taken: string[],
): McpServerConfig | undefined {
  let ok = true;
  const sub = (value: string, field: ReadonlyArray<PropertyKey>): string => {
    if (!env) return value;
    const out = interpolate(value, env, {
      file: MCP_FILE,
      field: fieldPath([...at, ...field]),
      issues,
      taken,
    });
    if (out === undefined) ok = false;
    return out ?? value;
  };
  const subMap = (map: Record<string, string> | undefined, key: string) =>
    map === undefined
      ? undefined
      : Object.fromEntries(Object.entries(map).map(([k, v]) => [k, sub(v, [key, k])]));
  const extras = {
    ...(server.alwaysLoad !== undefined ? { alwaysLoad: server.alwaysLoad } : {}),
    ...(server.timeout !== undefined ? { timeout: server.timeout } : {}),
  };

  if ('url' in server) {
    const url = sub(server.url, ['url']);
    if (ok && !hasReference(url)) ok = checkUrl(url, [...at, 'url'], issues) && ok;
    const headers = subMap(server.headers, 'headers');
    const out: McpHttpServerConfig | McpSSEServerConfig =
      server.type === 'http'
        ? { type: 'http', url, ...(headers ? { headers } : {}), ...extras }
        : { type: 'sse', url, ...(headers ? { headers } : {}), ...extras };
    return ok ? out : undefined;
  }
  const out: McpStdioServerConfig = {
    type: 'stdio',
    command: sub(server.command, ['command']),
    ...(server.args ? { args: server.args.map((a, i) => sub(a, ['args', i])) } : {}),
    ...(server.env ? { env: subMap(server.env, 'env') } : {}),
    ...extras,
  };
  return ok ? out : undefined;
}

function checkUrl(url: string, at: ReadonlyArray<PropertyKey>, issues: IssueList): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    issues.add(MCP_FILE, fieldPath(at), `not a valid URL: ${JSON.stringify(url)}`);
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    issues.add(MCP_FILE, fieldPath(at), `must be an http(s) URL, got ${parsed.protocol}`);
    return false;
  }
  return true;
}

function describeTarget(server: RemoteEntry | StdioEntry): string {
  if ('url' in server) return server.url;
  return [server.command, ...(server.args ?? [])].join(' ');
}
