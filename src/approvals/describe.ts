import { isRecord } from '../core/guards.js';
import { splitCommand } from './bash.js';
import { escapeBashLiteral, resolvePath } from './match.js';
import { clean, normalizeForGrant, type ToolCall } from './policy.js';
import { formatRule, mcpName, parseRule, UNSAFE_CHAR_RE, UNSAFE_CHARS_RE } from './rules.js';

/** What a person sees for a call waiting for approval, and what "Allow in this conversation" grants. */
export interface CallDescription {
  /** Plain text, at most `SUMMARY_MAX_CHARS` characters and `SUMMARY_MAX_LINES` lines. */
  summary: string;
  /** A rule (`parseRule` accepts it) that covers this call: see `grantRuleFor`. */
  grantRule: string;
}

export const SUMMARY_MAX_CHARS = 1000;
export const SUMMARY_MAX_LINES = 40;
const VALUE_MAX_CHARS = 200;
const PREVIEW_LINES = 5;

/** Where relative paths of the call resolve (the run's cwd) and `~`. */
export interface DescribeContext {
  cwd: string;
  home: string;
}

export function describeCall(call: ToolCall, ctx: DescribeContext): CallDescription {
  const safe: ToolCall = { tool: String(call.tool), input: isRecord(call.input) ? call.input : {} };
  return { summary: clip(sanitize(summaryLines(safe, ctx).join('\n'))), grantRule: grantRuleFor(safe, ctx) };
}

function summaryLines(call: ToolCall, ctx: DescribeContext): string[] {
  const input = call.input;
  const mcp = mcpName(call.tool);
  if (mcp) return [`${mcp.server} › ${mcp.tool ?? '*'}`, ...keyValues(input)];
  switch (call.tool) {
    case 'Bash': {
      const lines = [str(input.command) ?? ''];
      const description = str(input.description);
      if (description) lines.push(`— ${oneLine(description)}`);
      return lines;
    }
    case 'Write': {
      const content = str(input.content) ?? '';
      const lines = content.split('\n');
      return [
        `Write ${pathOf(call, ctx) ?? '?'} (${Buffer.byteLength(content)} bytes, ${lines.length} lines)`,
        ...preview(lines),
      ];
    }
    case 'Edit': {
      const head = `Edit ${pathOf(call, ctx) ?? '?'}${input.replace_all === true ? ' (every occurrence)' : ''}`;
      const old = (str(input.old_string) ?? '').split('\n');
      const now = (str(input.new_string) ?? '').split('\n');
      return [head, ...preview(old).map((l) => `- ${l}`), ...preview(now).map((l) => `+ ${l}`)];
    }
    case 'MultiEdit':
      return [
        `Edit ${pathOf(call, ctx) ?? '?'} (${Array.isArray(input.edits) ? input.edits.length : 0} edits)`,
      ];
    case 'NotebookEdit':
      return [
        `Edit notebook ${pathOf(call, ctx) ?? '?'}`,
        ...preview((str(input.new_source) ?? '').split('\n')),
      ];
    case 'WebFetch':
      return [
        `Fetch ${str(input.url) ?? '?'}`,
        ...(str(input.prompt) ? [`— ${oneLine(str(input.prompt) ?? '')}`] : []),
      ];
    default:
      return [call.tool, ...keyValues(input)];
  }
}

/**
 * The rule "Allow in this conversation" remembers:
 * - Bash, one plain command: its leading words (up to 3, stopping at an option, a path, a quoted or
 *   special word) then ` *`: `aws ec2 reboot-instances --instance-ids i-1` → `Bash(aws ec2 reboot-instances *)`.
 *   Fewer than two such words, a launcher as the first word (`sudo`, `ssh`, `bash`, …), a compound
 *   command, an expansion, a file redirection or an env assignment: the exact command instead.
 * - MCP: the exact tool name. WebFetch: `WebFetch(domain:<host>)`.
 * - Write/Edit/MultiEdit/NotebookEdit: `Edit(<absolute file path>)` (that file, any edit tool).
 * - Read/Glob/Grep/LS outside the workspace: `Read(<absolute path>)` (a folder covers what is under it).
 * - Agent/Task, Skill: `Agent(<subagent type>)`, `Skill(<name>)`. Anything else: the tool name.
 * A call without the field the rule needs (no path, an unparseable URL) gets the bare tool name.
 */
export function grantRuleFor(call: ToolCall, ctx: DescribeContext): string {
  const input = call.input;
  const rule = (() => {
    switch (call.tool) {
      case 'Bash':
        return bashGrant(str(input.command) ?? '');
      case 'WebFetch': {
        const host = hostOf(str(input.url));
        return host ? formatRule({ tool: 'WebFetch', specifier: `domain:${host}` }) : 'WebFetch';
      }
      case 'Write':
      case 'Edit':
      case 'MultiEdit':
      case 'NotebookEdit':
      case 'Read':
      case 'NotebookRead':
      case 'LS':
      case 'Glob':
      case 'Grep': {
        const family = ['Read', 'NotebookRead', 'LS', 'Glob', 'Grep'].includes(call.tool) ? 'Read' : 'Edit';
        const target = pathOf(call, ctx);
        return target
          ? formatRule({ tool: family, specifier: target.replace(UNSAFE_CHARS_RE, '?') })
          : call.tool;
      }
      case 'Agent':
      case 'Task':
      case 'Skill': {
        const name = str(call.tool === 'Skill' ? (input.skill ?? input.command) : input.subagent_type);
        const clean = name?.replace(/^\//, '').trim();
        return clean && clean !== '*'
          ? formatRule({ tool: call.tool === 'Skill' ? 'Skill' : 'Agent', specifier: clean })
          : call.tool;
      }
      default:
        return call.tool;
    }
  })();
  return parseRule(rule).ok ? rule : call.tool;
}

/** First words that launch another command: granting `sudo *` would grant everything. */
const LAUNCHERS = new Set([
  'sudo',
  'su',
  'doas',
  'ssh',
  'env',
  'xargs',
  'nohup',
  'timeout',
  'time',
  'nice',
  'exec',
  'command',
  'builtin',
  'eval',
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'source',
  '.',
  'watch',
  'parallel',
]);
const WORD_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function bashGrant(command: string): string {
  const parts = splitCommand(command);
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only && clean(only) && only.assignments.length === 0 && !UNSAFE_CHAR_RE.test(command)) {
    const words: string[] = [];
    for (const word of only.command.split(' ')) {
      if (words.length === 3 || !WORD_RE.test(word)) break;
      words.push(word);
    }
    if (words.length >= 2 && !LAUNCHERS.has(words[0] ?? '')) return `Bash(${words.join(' ')} *)`;
  }
  const exact = normalizeForGrant(command);
  if (exact === '') return 'Bash(true)'; // a blank command runs nothing; `granted` accepts it anyway
  return formatRule({ tool: 'Bash', specifier: escapeBashLiteral(exact) });
}

function pathOf(call: ToolCall, ctx: DescribeContext): string | undefined {
  const input = call.input;
  const p = str(input.file_path) ?? str(input.notebook_path) ?? str(input.path);
  if (p === undefined)
    return call.tool === 'Glob' || call.tool === 'Grep' ? resolvePath('.', ctx) : undefined;
  return resolvePath(p, ctx);
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const host = new URL(url).hostname.toLowerCase();
    return /^[A-Za-z0-9._:[\]-]+$/.test(host) ? host : undefined;
  } catch {
    return undefined;
  }
}

/** `key: value` lines; strings as they are, anything else as compact JSON, each capped. */
function keyValues(input: Record<string, unknown>): string[] {
  return Object.entries(input).map(([k, v]) => {
    let text: string;
    try {
      text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
    } catch {
      text = '[unprintable]';
    }
    return `${k}: ${oneLine(text, VALUE_MAX_CHARS)}`;
  });
}

function preview(lines: string[]): string[] {
  return lines.length > PREVIEW_LINES
    ? [...lines.slice(0, PREVIEW_LINES), `… (${lines.length - PREVIEW_LINES} more lines)`]
    : lines;
}

/** Control characters (but line breaks) and bidi overrides become visible `\uXXXX` escapes. */
function sanitize(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '  ')
    .replace(UNSAFE_CHARS_RE, (c) =>
      c === '\n' ? c : `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
    );
}

/** At most SUMMARY_MAX_LINES lines and SUMMARY_MAX_CHARS characters, with `…` when cut. */
function clip(text: string): string {
  let out = text;
  const lines = out.split('\n');
  if (lines.length > SUMMARY_MAX_LINES) out = `${lines.slice(0, SUMMARY_MAX_LINES - 1).join('\n')}\n…`;
  if (out.length > SUMMARY_MAX_CHARS)
    out = `${[...out.slice(0, SUMMARY_MAX_CHARS - 1)].join('').replace(/[\ud800-\udbff]$/, '')}…`;
  return out;
}

function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
