import { z } from 'zod';
import { boundedText } from '../../core/schema-bounds.js';
import { DEFAULT_PERMISSIONS } from '../../approvals/defaults.js';
import type { PermissionsConfig } from '../../approvals/permissions.js';
import { mcpName, parseRule, SPECIFIER_TOOLS } from '../../approvals/rules.js';
import { BUILTIN_TOOLS } from './agents.js';
import { fieldPath, readJsonFile, type IssueList } from './issues.js';
import { MAX_COMMENT_CHARS } from './limits.js';

export const PERMISSIONS_FILE = 'permissions.json';
export const MAX_RULES_PER_LIST = 500;
export const MAX_RULE_CHARS = 1000;

const ruleList = z
  .array(boundedText(MAX_RULE_CHARS))
  .max(MAX_RULES_PER_LIST, `must hold at most ${MAX_RULES_PER_LIST} rules`);
/** permissions.json. */
export const PERMISSIONS_FILE_SCHEMA = z.strictObject({
  $comment: z.string().max(MAX_COMMENT_CHARS).optional(),
  allow: ruleList.optional(),
  ask: ruleList.optional(),
  deny: ruleList.optional(),
  default: z.enum(['allow', 'ask', 'deny']).optional(),
  approval_timeout_minutes: z
    .number()
    .int('must be a whole number of minutes')
    .min(1, 'must be between 1 and 1440 minutes')
    .max(1440, 'must be between 1 and 1440 minutes')
    .optional(),
});

export interface LoadedPermissions {
  permissions: PermissionsConfig;
  /** `file`: permissions.json (absent fields from the built-in default); `default`: no file. */
  source: 'file' | 'default';
}

/**
 * Reads and validates `permissions.json` (optional): every rule must parse, lists are bounded.
 * A field the file leaves out keeps its built-in value (`DEFAULT_PERMISSIONS`); a list that is
 * present replaces the built-in list (write `"allow": []` for none). MCP rules naming a server
 * mcp.json does not configure, and unknown tool names (a typo like `Bassh`), are warnings.
 */
export async function loadPermissions(
  dir: string,
  mcpServers: ReadonlySet<string>,
  issues: IssueList,
  warnings: IssueList,
): Promise<LoadedPermissions> {
  const fallback: LoadedPermissions = { permissions: copy(DEFAULT_PERMISSIONS), source: 'default' };
  const read = await readJsonFile(dir, PERMISSIONS_FILE, issues);
  if (read.kind !== 'ok') return fallback;
  if (typeof read.value !== 'object' || read.value === null || Array.isArray(read.value)) {
    issues.add(
      PERMISSIONS_FILE,
      '',
      'expected an object with allow, ask, deny, default, approval_timeout_minutes',
    );
    return fallback;
  }
  const parsed = PERMISSIONS_FILE_SCHEMA.safeParse(read.value);
  if (!parsed.success) issues.addZod(PERMISSIONS_FILE, [], parsed.error);
  // Check the rules even when another field is wrong, so one run reports everything.
  const raw = read.value as Record<string, unknown>;
  for (const list of ['allow', 'ask', 'deny'] as const) {
    const rules = raw[list];
    if (!Array.isArray(rules)) continue;
    rules.forEach((rule: unknown, i) => {
      if (typeof rule !== 'string' || rule.length > MAX_RULE_CHARS) return; // zod reported it
      const result = parseRule(rule);
      if (!result.ok) {
        issues.add(PERMISSIONS_FILE, fieldPath([list, i]), `"${rule}" ${result.error}`);
        return;
      }
      const tool = result.rule.tool;
      const server = mcpName(tool)?.server;
      if (server !== undefined && !mcpServers.has(server)) {
        warnings.add(PERMISSIONS_FILE, fieldPath([list, i]), `MCP server "${server}" is not in mcp.json`);
      } else if (server === undefined && !BUILTIN_TOOLS.has(tool) && !SPECIFIER_TOOLS.has(tool)) {
        warnings.add(
          PERMISSIONS_FILE,
          fieldPath([list, i]),
          `unknown tool "${tool}": the rule matches nothing`,
        );
      }
    });
  }
  if (!parsed.success) return fallback;
  const file = parsed.data;
  return {
    permissions: {
      allow: file.allow ?? [...DEFAULT_PERMISSIONS.allow],
      ask: file.ask ?? [...DEFAULT_PERMISSIONS.ask],
      deny: file.deny ?? [...DEFAULT_PERMISSIONS.deny],
      default: file.default ?? DEFAULT_PERMISSIONS.default,
      timeoutMinutes: file.approval_timeout_minutes ?? DEFAULT_PERMISSIONS.timeoutMinutes,
    },
    source: 'file',
  };
}

function copy(p: Readonly<PermissionsConfig>): PermissionsConfig {
  return { ...p, allow: [...p.allow], ask: [...p.ask], deny: [...p.deny] };
}
