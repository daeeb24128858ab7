import os from 'node:os';
import { OmniError } from '../core/errors.js';
import { splitCommand, type BashPart } from './bash.js';
import {
  bashPatternMatches,
  domainMatches,
  isInside,
  pathRuleMatches,
  resolvePath,
  toolCovers,
  type PathContext,
} from './match.js';
import type { PermissionsConfig, PolicyMatch } from './permissions.js';
import { formatRule, parseRule, UNSAFE_CHARS_RE, type PermissionRule } from './rules.js';

/** One tool call as the SDK hands it to a PreToolUse hook. */
export interface ToolCall {
  tool: string;
  input: Record<string, unknown>;
}

/** The tenant's permission policy, compiled once per run (see docs/approvals.md → Policy). */
export interface ToolPermissionPolicy {
  /** allow / ask / deny for a call, and the rule that decided: deny > ask > allow > `default`. */
  evaluate(call: ToolCall): PolicyMatch;
  /**
   * Whether "Allow in this conversation" rules cover the call. Deny rules of the config still win;
   * ask rules do not (the person already answered for this kind of call). Unparseable rules are ignored.
   */
  granted(call: ToolCall, rules: readonly string[]): boolean;
  /** The config's deny rules for the SDK's `disallowedTools` (absolute paths as `//path`). */
  sdkDenyRules(): string[];
}

/** Rule text that decided a workspace read (Read/Glob/Grep/LS inside the cwd). */
export const WORKSPACE_RULE = 'workspace';
export const DEFAULT_RULE = 'default';

/**
 * Leading assignments that do not change what a command does beyond region, paging and output
 * format: a part with any other `NAME=value` prefix (`PATH=…`, `LD_PRELOAD=…`) is never allowed by
 * an allow rule. Deny and ask rules see the command with and without its assignments.
 */
export const SAFE_ENV_ASSIGNMENTS: ReadonlySet<string> = new Set([
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PAGER',
  'AWS_DEFAULT_OUTPUT',
  'NO_COLOR',
  'TZ',
  'LANG',
  'LC_ALL',
]);

const READ_TOOLS = new Set(['Read', 'Glob', 'Grep', 'LS', 'NotebookRead']);
const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);

interface Compiled {
  text: string;
  rule: PermissionRule;
}

export function createToolPolicy(
  config: PermissionsConfig,
  base: { allow: readonly string[] },
  ctx: { cwd: string; home?: string },
): ToolPermissionPolicy {
  const paths: PathContext = {
    cwd: resolvePath(ctx.cwd, { cwd: '/', home: '/' }),
    home: ctx.home ?? os.homedir(),
  };
  const deny = compile(config.deny);
  const ask = compile(config.ask);
  const allow = compile([...base.allow, ...config.allow]);

  function evaluate(call: ToolCall): PolicyMatch {
    try {
      if (call.tool === 'Bash') return evaluateBash(call);
      const denied = find(deny, call);
      if (denied) return { verdict: 'deny', rule: denied };
      const asked = find(ask, call);
      if (asked) return { verdict: 'ask', rule: asked };
      const allowed = find(allow, call);
      if (allowed) return { verdict: 'allow', rule: allowed };
      if (READ_TOOLS.has(call.tool)) {
        const target = readTarget(call, paths);
        if (target !== undefined && isInside(target, paths.cwd))
          return { verdict: 'allow', rule: WORKSPACE_RULE };
      }
    } catch {
      // A matcher bug must not let a call through: fall to the default below.
    }
    return { verdict: config.default, rule: DEFAULT_RULE };
  }

  function evaluateBash(call: ToolCall): PolicyMatch {
    const parts = bashParts(call);
    const allowedBy: string[] = [];
    let allAllowed = true;
    let askedBy: string | undefined;
    for (const part of parts) {
      const variants = denyVariants(part);
      const denied = deny.find((r) => variants.some((v) => bashRuleMatches(r.rule, v)));
      if (denied) return { verdict: 'deny', rule: denied.text };
      askedBy ??= ask.find((r) => variants.some((v) => bashRuleMatches(r.rule, v)))?.text;
      const allowed = clean(part) ? allow.find((r) => bashRuleMatches(r.rule, part.command)) : undefined;
      if (!allowed) allAllowed = false;
      else if (!allowedBy.includes(allowed.text)) allowedBy.push(allowed.text);
    }
    if (askedBy) return { verdict: 'ask', rule: askedBy };
    if (allAllowed) return { verdict: 'allow', rule: allowedBy.join(', ') };
    return { verdict: config.default, rule: DEFAULT_RULE };
  }

  function granted(call: ToolCall, rules: readonly string[]): boolean {
    try {
      const grants = compile(rules, true);
      if (grants.length === 0) return false;
      if (call.tool !== 'Bash') return !find(deny, call) && !!find(grants, call);
      if (evaluateBash(call).verdict === 'deny') return false;
      const command = typeof call.input.command === 'string' ? call.input.command : '';
      const whole = normalizeForGrant(command);
      if (whole === '') return true; // a blank command runs nothing
      for (const g of grants) {
        if (g.rule.specifier === undefined) return true;
        if (!/(?<!\\)(?:\\\\)*\*/.test(g.rule.specifier) && bashPatternMatches(g.rule.specifier, whole))
          return true;
      }
      return bashParts(call).every(
        (part) => clean(part) && [...grants, ...allow].some((r) => bashRuleMatches(r.rule, part.command)),
      );
    } catch {
      return false;
    }
  }

  function find(rules: Compiled[], call: ToolCall): string | undefined {
    return rules.find((r) => ruleMatchesCall(r.rule, call, paths))?.text;
  }

  return {
    evaluate,
    granted,
    sdkDenyRules: () =>
      deny.map(({ rule, text }) =>
        (READ_TOOLS.has(rule.tool) || EDIT_TOOLS.has(rule.tool)) && rule.specifier?.match(/^\/[^/]/)
          ? formatRule({ tool: rule.tool, specifier: `/${rule.specifier}` })
          : text,
      ),
  };
}

/**
 * The command the way "Allow in this conversation" stored it exactly: trimmed, tabs as spaces,
 * line breaks as `; ` (what they mean to the shell outside quotes), other control characters as `?`.
 */
export function normalizeForGrant(command: string): string {
  return command
    .trim()
    .replace(/\r\n|\r|\n/g, '; ')
    .replace(/\t/g, ' ')
    .replace(UNSAFE_CHARS_RE, '?');
}

/** Whether an allow rule may vouch for this part (see `BashPart` and `SAFE_ENV_ASSIGNMENTS`). */
export function clean(part: BashPart): boolean {
  return !part.expansion && !part.writesFile && part.assignments.every((a) => SAFE_ENV_ASSIGNMENTS.has(a));
}

function compile(texts: readonly string[], lenient = false): Compiled[] {
  const out: Compiled[] = [];
  for (const text of texts) {
    const parsed = parseRule(text);
    if (parsed.ok) out.push({ text, rule: parsed.rule });
    else if (!lenient)
      throw new OmniError('invalid_rule', `[approvals:policy] rule "${text}" ${parsed.error}`);
  }
  return out;
}

function bashParts(call: ToolCall): BashPart[] {
  const command = typeof call.input.command === 'string' ? call.input.command : '';
  const parts = splitCommand(command);
  return parts.length > 0
    ? parts
    : [{ text: '', command: '', assignments: [], expansion: false, writesFile: false }];
}

function bashRuleMatches(rule: PermissionRule, command: string): boolean {
  if (!toolCovers(rule.tool, 'Bash')) return false;
  return rule.specifier === undefined || bashPatternMatches(rule.specifier, command);
}

/** Commands that run the command in their arguments (`sudo -u root rm x` runs `rm x`). */
const WRAPPERS = new Set([
  'command',
  'builtin',
  'exec',
  'nohup',
  'time',
  'sudo',
  'doas',
  'nice',
  'timeout',
  'xargs',
  'env',
  'watch',
]);
const SHELL_C_RE = /^(?:(?:ba|z|da|k)?sh|eval)(?: -[a-z]+)* (?:-c )?(.+)$/s;

/**
 * What deny and ask rules are checked against, so a denied command is not let through by spelling:
 * the part, without assignments, with `/bin/rm` as `rm`, from every word on after a wrapper (`sudo`, `env`, `timeout 5`, …),
 * without quotes,
 * and the commands inside `bash -c '…'` / `eval …` (three levels deep).
 */
function denyVariants(part: BashPart, depth = 0): string[] {
  const out = new Set<string>([part.text, part.command]);
  const words = part.command.split(' ');
  if (WRAPPERS.has(programOf(words[0] ?? ''))) {
    // Where the wrapped command starts depends on each wrapper's options: try every word.
    for (let i = 1; i < words.length; i++) out.add(words.slice(i).join(' '));
  }
  for (const v of [...out]) {
    const [first = '', ...rest] = v.split(' ');
    if (programOf(first) !== first) out.add([programOf(first), ...rest].join(' ')); // `/bin/rm` is `rm`
  }
  for (const v of [...out]) {
    const inner = depth < 3 ? SHELL_C_RE.exec(v) : null;
    if (inner) {
      for (const p of splitCommand(unquoteArg(inner[1] ?? '')))
        for (const w of denyVariants(p, depth + 1)) out.add(w);
    }
  }
  for (const v of [...out]) out.add(dequote(v));
  return [...out];
}

function programOf(word: string): string {
  const plain = dequote(word);
  return plain.slice(plain.lastIndexOf('/') + 1);
}

function dequote(s: string): string {
  return s.replace(/\\(.)/gs, '$1').replace(/['"]/g, '').replace(/\s+/g, ' ').trim();
}

function unquoteArg(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && (t[0] === "'" || t[0] === '"') && t.endsWith(t[0])) return t.slice(1, -1);
  return t;
}

function ruleMatchesCall(rule: PermissionRule, call: ToolCall, ctx: PathContext): boolean {
  const family = READ_TOOLS.has(call.tool) ? 'Read' : EDIT_TOOLS.has(call.tool) ? 'Edit' : undefined;
  if (!toolCovers(rule.tool, call.tool) && rule.tool !== family) return false;
  const spec = rule.specifier;
  if (spec === undefined) return true;
  if (family === 'Read') {
    const target = readTarget(call, ctx);
    return target !== undefined && pathRuleMatches(spec, target, ctx);
  }
  if (family === 'Edit') {
    const file = str(call.input.file_path) ?? str(call.input.notebook_path);
    return file !== undefined && pathRuleMatches(spec, resolvePath(file, ctx), ctx);
  }
  if (call.tool === 'WebFetch') return domainMatches(spec, str(call.input.url) ?? '');
  if (call.tool === 'Agent' || call.tool === 'Task') return str(call.input.subagent_type) === spec;
  if (call.tool === 'Skill')
    return (str(call.input.skill) ?? str(call.input.command))?.replace(/^\//, '') === spec;
  return false;
}

/**
 * The path a read tool reads: `file_path` / `notebook_path` / `path` (Glob and Grep default to the
 * cwd), and for Glob the fixed folders at the start of its pattern (`/etc/**` reads /etc).
 */
function readTarget(call: ToolCall, ctx: PathContext): string | undefined {
  const input = call.input;
  const file = str(input.file_path) ?? str(input.notebook_path) ?? str(input.path);
  if (call.tool === 'Read' || call.tool === 'NotebookRead' || call.tool === 'LS') {
    return file === undefined ? undefined : resolvePath(file, ctx);
  }
  const root = resolvePath(file ?? '.', ctx);
  const pattern = call.tool === 'Glob' ? str(input.pattern) : undefined;
  if (pattern === undefined) return root;
  const fixed: string[] = [];
  for (const segment of pattern.split('/')) {
    if (/[*?[\]{}]/.test(segment)) break;
    fixed.push(segment);
  }
  return resolvePath(fixed.join('/') || '.', { ...ctx, cwd: root });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
