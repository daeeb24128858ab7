import path from 'node:path';
import { mcpName } from './rules.js';

/**
 * The matchers behind the policy: a Bash command pattern against one simple command, a path glob
 * against an absolute path, a `domain:` specifier against a URL, a tool-name rule against a name.
 */

/** Where relative paths and `~` resolve. */
export interface PathContext {
  cwd: string;
  home: string;
}

/**
 * Whether a Bash rule's specifier matches one simple command (Claude Code's semantics):
 * - `npm run:*` (legacy prefix form): `npm run` alone or followed by a space and anything;
 * - with `*` (any characters, spaces included; `\*` is a literal star): the whole command must
 *   match; a single trailing ` *` also matches the bare command (`ls *` matches `ls`, not `lsof`);
 * - otherwise the exact command.
 */
export function bashPatternMatches(specifier: string, command: string): boolean {
  const legacy = /^(.*):\*$/s.exec(specifier);
  if (legacy && legacy[1] !== '' && !hasWildcard(legacy[1] ?? '')) {
    const prefix = literal(legacy[1] ?? '');
    return command === prefix || command.startsWith(`${prefix} `);
  }
  if (!hasWildcard(specifier)) return command === literal(specifier);
  return compileBash(specifier).test(command);
}

const bashCache = new Map<string, RegExp>();

function compileBash(specifier: string): RegExp {
  const cached = bashCache.get(specifier);
  if (cached) return cached;
  const stars = [...specifier.matchAll(/(?<!\\)(?:\\\\)*\*/g)].length;
  const optionalTail = stars === 1 && / \*$/.test(specifier) && !/\\\*$/.test(specifier);
  const body = optionalTail ? specifier.slice(0, -2) : specifier;
  let re = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c === '\\' && (body[i + 1] === '*' || body[i + 1] === '\\')) {
      re += escapeRegex(body[i + 1] ?? '');
      i++;
    } else if (c === '*') {
      re += '[\\s\\S]*';
    } else {
      re += escapeRegex(c);
    }
  }
  const compiled = new RegExp(`^${re}${optionalTail ? '(?: [\\s\\S]*)?' : ''}$`);
  if (bashCache.size > 2000) bashCache.clear();
  bashCache.set(specifier, compiled);
  return compiled;
}

/** An unescaped `*` (one not preceded by an odd number of backslashes). */
function hasWildcard(s: string): boolean {
  return /(?<!\\)(?:\\\\)*\*/.test(s);
}

/** The pattern's literal text: `\*` → `*`, `\\` → `\`. */
function literal(s: string): string {
  return s.replace(/\\([*\\])/g, '$1');
}

/** Pattern-escapes a literal command so `bashPatternMatches(escapeBashLiteral(c), c)` holds. */
export function escapeBashLiteral(command: string): string {
  return command.replace(/[\\*]/g, (c) => `\\${c}`);
}

/**
 * Whether a Read/Edit rule's path glob matches an absolute path, gitignore-style:
 * `//abs` and `/abs` are absolute, `~/x` is under the home folder, `./x` and `x/y` are relative to
 * the cwd, a pattern without `/` matches that name in any folder; `**` spans folders, `*` and `?`
 * stay within one name. A pattern naming a folder also matches everything under it (and `dir/**`
 * matches `dir`).
 */
export function pathRuleMatches(specifier: string, target: string, ctx: PathContext): boolean {
  const pattern = specifier.replace(/\/+$/, '');
  if (pattern === '') return true;
  let anchored: string;
  if (pattern.startsWith('//')) anchored = pattern.slice(1);
  else if (pattern.startsWith('/')) anchored = pattern;
  else if (pattern === '~' || pattern.startsWith('~/')) anchored = ctx.home + pattern.slice(1);
  else if (pattern.startsWith('./') || pattern.includes('/'))
    anchored = `${ctx.cwd}/${pattern.replace(/^\.\//, '')}`;
  else anchored = `**/${pattern}`;
  const re = compileGlob(anchored);
  // `dir/**` also covers `dir` itself (a Grep or Glob over that folder reads what is inside it).
  const self = anchored.endsWith('/**') ? compileGlob(anchored.slice(0, -3)) : undefined;
  for (let p = target; ; p = path.posix.dirname(p)) {
    if (re.test(p) || self?.test(p)) return true;
    if (p === '/' || p === '.' || path.posix.dirname(p) === p) return false;
  }
}

function compileGlob(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:[\\s\\S]*/)?' : '[\\s\\S]*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += escapeRegex(c);
  }
  return new RegExp(`^${re}$`);
}

/** `domain:example.com` matches that host; `domain:*.example.com` its subdomains. */
export function domainMatches(specifier: string, url: string): boolean {
  const domain = specifier.replace(/^domain:/, '').toLowerCase();
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (domain.startsWith('*.')) return host.endsWith(domain.slice(1));
  return host === domain;
}

/**
 * Whether a rule's tool part covers a tool name: the same name; `mcp__s` and `mcp__s__*` every
 * tool of server `s`; `Agent` and `Task` are one tool (Task is the legacy name).
 */
export function toolCovers(ruleTool: string, name: string): boolean {
  if (ruleTool === name) return true;
  const rule = mcpName(ruleTool);
  if (rule) {
    const call = mcpName(name);
    return !!call && call.server === rule.server && (rule.tool === undefined || rule.tool === call.tool);
  }
  const alias = (n: string) => (n === 'Task' ? 'Agent' : n);
  return alias(ruleTool) === alias(name);
}

/** Resolves a tool's path argument against the cwd (`~` to home), normalised, posix. */
export function resolvePath(input: string, ctx: PathContext): string {
  const expanded = input === '~' || input.startsWith('~/') ? ctx.home + input.slice(1) : input;
  return path.posix.resolve(ctx.cwd, expanded);
}

/** Whether an absolute path is the cwd or inside it. */
export function isInside(target: string, dir: string): boolean {
  const rel = path.posix.relative(dir, target);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.posix.isAbsolute(rel));
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
