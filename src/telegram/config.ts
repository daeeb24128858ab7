import { z } from 'zod';
import type { BusyMessages } from '../queue/merge.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { boundedRecord } from '../core/schema-bounds.js';

/** Names the bot handles itself; a config file cannot redefine them. */
export const BUILTIN_COMMANDS = [
  'start',
  'help',
  'newchat',
  'new',
  'stop',
  'debug',
  'cost',
  'sessions',
  'model',
  'agent',
  'schedule',
] as const;
export type BuiltinCommand = (typeof BUILTIN_COMMANDS)[number];

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

const agentCommand = z.object({
  type: z.literal('agent'),
  description: z.string().min(1).max(256),
  /** The prompt sent to the agent; `{args}` is replaced by the text after the command. */
  // At most one {args}: the expanded prompt then stays far below the queue's 64,000-character limit.
  prompt: z
    .string()
    .min(1)
    .max(4000)
    .refine((p) => p.split('{args}').length <= 2, 'use {args} at most once')
    .optional(),
});
const staticCommand = z.object({
  type: z.literal('static'),
  description: z.string().min(1).max(256),
  /** Sent as-is (plain text). */
  text: z.string().min(1).max(4096),
});

/** Telegram's `setMyCommands` takes at most 100 commands; the built-in ones come first. */
const MAX_CONFIGURED_COMMANDS = 100 - BUILTIN_COMMANDS.length;

/** The `commands` file: `{ commands: { <name>: {type: agent|static, …} } }`. */
export const commandsFileSchema = z.object({
  commands: boundedRecord(
    // Names are checked below (one message for a bad or built-in name); the pattern is declared for the audit.
    z.string().meta({ pattern: NAME_RE.source }),
    z.discriminatedUnion('type', [agentCommand, staticCommand]),
    MAX_CONFIGURED_COMMANDS,
  ).default({}),
});

export type AgentCommand = z.infer<typeof agentCommand>;
export type StaticCommand = z.infer<typeof staticCommand>;
export type ConfiguredCommand = AgentCommand | StaticCommand;
export type CommandsConfig = Record<string, ConfiguredCommand>;

/** Validate a parsed commands file (YAML/JSON already decoded); throws `ConfigError`. */
export function parseCommandsConfig(value: unknown, file = 'commands.yaml'): CommandsConfig {
  const parsed = commandsFileSchema.safeParse(value ?? {});
  const issues: ConfigIssue[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ file, field: issue.path.join('.'), message: issue.message });
    }
    throw new ConfigError(issues);
  }
  for (const name of Object.keys(parsed.data.commands)) {
    if (!NAME_RE.test(name)) {
      issues.push({ file, field: `commands.${name}`, message: 'use 1–32 characters a-z, 0-9, _ and -' });
    } else if ((BUILTIN_COMMANDS as readonly string[]).includes(name)) {
      issues.push({
        file,
        field: `commands.${name}`,
        message: `/${name} is built in and cannot be redefined`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return parsed.data.commands;
}

/** Ingress policy (all defaults allow everything the original allowed). */
export interface AccessPolicy {
  /** Telegram user ids allowed to talk to the bot and add it to groups; undefined = everyone. */
  allowedUserIds?: readonly number[];
  /** Groups without topics: `ignore` (default, as the original) or `respond` (one conversation per group). */
  nonForumGroups?: 'ignore' | 'respond';
  /** Edited messages: `ignore` (default: the turn already ran) or `new-turn` (the edit is a new turn). */
  editedMessages?: EditedMessages;
  /**
   * Messages sent while a turn runs: `merge` (default: those waiting are answered together in one
   * next turn) or `one-by-one` (a turn each). Read by the in-process queue (`queue/merge.ts`).
   */
  busyMessages?: BusyMessages;
  /**
   * Telegram user ids who may decide approval requests besides those `isAllowed` (the tenant's
   * `telegram.approvers`). Deciding is all they may do: they cannot talk to the bot.
   */
  approverIds?: readonly number[];
}

/** What an edited message does: nothing (`ignore`), or its new text is a new turn (`new-turn`). */
export const EDITED_MESSAGES = ['ignore', 'new-turn'] as const;
export type EditedMessages = (typeof EDITED_MESSAGES)[number];

/** The access policy of a tenant's Telegram settings (tenants file, environment or webhook routes). */
export function accessPolicyOf(settings: {
  allowedUsers?: readonly number[] | undefined;
  nonForumGroups?: 'ignore' | 'respond' | undefined;
  editedMessages?: EditedMessages | undefined;
  busyMessages?: BusyMessages | undefined;
  approvers?: readonly number[] | undefined;
}): AccessPolicy {
  return {
    ...(settings.allowedUsers ? { allowedUserIds: [...settings.allowedUsers] } : {}),
    ...(settings.nonForumGroups ? { nonForumGroups: settings.nonForumGroups } : {}),
    ...(settings.editedMessages ? { editedMessages: settings.editedMessages } : {}),
    ...(settings.busyMessages ? { busyMessages: settings.busyMessages } : {}),
    ...(settings.approvers?.length ? { approverIds: [...settings.approvers] } : {}),
  };
}

export function isAllowed(policy: AccessPolicy, userId: number | undefined): boolean {
  if (policy.allowedUserIds === undefined) return true;
  return userId !== undefined && policy.allowedUserIds.includes(userId);
}

/** Whether a user may decide approval requests: allowed to talk to the bot, or an approver. */
export function mayApprove(policy: AccessPolicy, userId: number | undefined): boolean {
  if (isAllowed(policy, userId)) return true;
  return userId !== undefined && (policy.approverIds ?? []).includes(userId);
}
