/**
 * Permission rules in Claude Code's syntax (docs/approvals.md → Policy): `Tool`, `Tool(specifier)`,
 * `mcp__server`, `mcp__server__tool`, `mcp__server__*`. Parsing only; matching is in `match.ts`.
 *
 * Escapes inside the parentheses are Claude Code's: `\(` `\)` `\\` stand for `(` `)` `\`; any other
 * backslash is kept (so `Bash(echo \*)` keeps `\*`, a literal star for the Bash matcher).
 */

/** A parsed rule: the tool name and, when the rule had parentheses, the unescaped specifier. */
export interface PermissionRule {
  /** `Bash`, `Read`, `mcp__aws`, `mcp__aws__describe`, `mcp__aws__*`. */
  tool: string;
  /** What is inside the parentheses, unescaped; absent for a bare tool name (and for `Tool(*)`). */
  specifier?: string;
}

export type RuleParse = { ok: true; rule: PermissionRule } | { ok: false; error: string };

/** Built-in tools whose rules may carry a specifier, and what it means for each. */
export const SPECIFIER_TOOLS: ReadonlySet<string> = new Set([
  'Bash', // command pattern
  'Read', // path glob (also applies to Glob, Grep, LS, NotebookRead)
  'Edit', // path glob (also applies to Write, MultiEdit, NotebookEdit)
  'Write',
  'MultiEdit',
  'NotebookEdit',
  'NotebookRead',
  'Glob',
  'Grep',
  'LS',
  'WebFetch', // domain:<host>
  'Agent', // subagent type
  'Task',
  'Skill', // skill name
]);

/**
 * Longest rule `parseRule` accepts: room for the exact-command grant of a 16 KiB input. The config
 * file has its own, tighter bound (1000 characters).
 */
export const MAX_RULE_LENGTH = 40_000;

/** Control characters (C0, DEL, C1) and bidi overrides/isolates: never inside a rule. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const UNSAFE_CHAR_RE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** `UNSAFE_CHAR_RE`, every occurrence (for `replace`). */
export const UNSAFE_CHARS_RE = new RegExp(UNSAFE_CHAR_RE.source, 'g');

const TOOL_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
const MCP_RE = /^mcp__([A-Za-z0-9_-]+?)(?:__([A-Za-z0-9_.-]+|\*))?$/;

/** Parses one rule; never throws. The error says what is wrong, for a person editing the file. */
export function parseRule(text: string): RuleParse {
  if (typeof text !== 'string') return fail('must be a string');
  if (text.length > MAX_RULE_LENGTH) return fail(`is longer than ${MAX_RULE_LENGTH} characters`);
  if (text.trim() !== text) return fail('has leading or trailing whitespace');
  if (text === '') return fail('is empty');
  const bad = UNSAFE_CHAR_RE.exec(text);
  if (bad) return fail(`contains a control character (U+${hex(bad[0])})`);

  const open = text.indexOf('(');
  const close = text.indexOf(')');
  if (open === -1) {
    if (close !== -1) return fail('has ")" without "("');
    return checkTool(text, false);
  }
  const tool = text.slice(0, open);
  if (tool === '') return fail('has no tool name before "("');
  if (!text.endsWith(')')) return fail('must end with ")" after the specifier');
  const raw = text.slice(open + 1, -1);
  const unbalanced = checkParentheses(raw);
  if (unbalanced) return fail(unbalanced);
  const specifier = unescapeSpecifier(raw);
  if (specifier.trim() === '') return fail(`has an empty specifier: write "${tool}" for every call`);
  const checked = checkTool(tool, true);
  if (!checked.ok) return checked;
  if (specifier === '*') return { ok: true, rule: { tool } }; // `Bash(*)` is `Bash`
  if (tool === 'WebFetch' && !/^domain:[A-Za-z0-9*._:[\]-]+$/.test(specifier)) {
    return fail('WebFetch takes "domain:<host>" (e.g. WebFetch(domain:example.com))');
  }
  return { ok: true, rule: { tool, specifier } };
}

/** The rule as text: `parseRule(formatRule(r))` gives `r` back. */
export function formatRule(rule: PermissionRule): string {
  return rule.specifier === undefined ? rule.tool : `${rule.tool}(${escapeSpecifier(rule.specifier)})`;
}

/** `mcp__aws__describe` → `{ server: 'aws', tool: 'describe' }`; `mcp__aws` → tool undefined. */
export function mcpName(name: string): { server: string; tool: string | undefined } | undefined {
  const m = MCP_RE.exec(name);
  if (!m) return undefined;
  return { server: m[1] ?? '', tool: m[2] === '*' ? undefined : m[2] };
}

function checkTool(tool: string, withSpecifier: boolean): RuleParse {
  if (tool.startsWith('mcp__')) {
    if (!MCP_RE.test(tool)) {
      return fail(
        `"${tool}" is not a valid MCP rule (mcp__<server>, mcp__<server>__<tool> or mcp__<server>__*)`,
      );
    }
    if (withSpecifier) return fail(`${tool} takes no specifier (MCP rules name servers or tools)`);
    return { ok: true, rule: { tool } };
  }
  if (!TOOL_RE.test(tool)) return fail(`"${tool}" is not a tool name (letters, digits and _)`);
  if (withSpecifier && !SPECIFIER_TOOLS.has(tool)) {
    return fail(`${tool} takes no specifier (only ${[...SPECIFIER_TOOLS].join(', ')} do)`);
  }
  return { ok: true, rule: { tool } };
}

/** An error message when unescaped parentheses do not balance, else undefined. */
function checkParentheses(raw: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return 'has an unbalanced ")" (escape it as \\))';
  }
  return depth > 0 ? 'has an unbalanced "(" (escape it as \\()' : undefined;
}

function unescapeSpecifier(raw: string): string {
  return raw.replace(/\\([\\()])/g, '$1');
}

/** Minimal escaping: parentheses always; a backslash only where it would be read as an escape. */
function escapeSpecifier(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    const next = s[i + 1];
    if (c === '(' || c === ')') out += `\\${c}`;
    else if (c === '\\' && (next === undefined || next === '\\' || next === '(' || next === ')'))
      out += '\\\\';
    else out += c;
  }
  return out;
}

function fail(error: string): RuleParse {
  return { ok: false, error };
}

function hex(c: string): string {
  return (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}
