import type { PolicyVerdict } from './types.js';

/**
 * A tenant's tool permissions (`permissions.json` in its agent-config folder), validated. Rules use
 * Claude Code's permission-rule syntax: `Tool`, `Tool(specifier)`, `mcp__server`,
 * `mcp__server__tool`, `mcp__server__*`; for Bash the specifier is a command pattern where `*`
 * matches any characters (`Bash(aws * describe-*)`), checked against each part of a compound command.
 */
export interface PermissionsConfig {
  allow: string[];
  ask: string[];
  deny: string[];
  /** What a call that no rule matches gets. */
  default: PolicyVerdict;
  /** How long a request waits for a decision (minutes). */
  timeoutMinutes: number;
}

/** The verdict of the policy for one call, and why. */
export interface PolicyMatch {
  verdict: PolicyVerdict;
  /** The rule that decided (`default` when none matched). */
  rule: string;
}
