import type { ConversationService } from '../conversations/types.js';
import { parseChatId, parseTenantId, parseThreadId, type TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Storage } from '../sessions/types.js';
import { parseCommandArgs, UsageError } from './args.js';
import { deleteCommand, exportCommand, importCommand, SessionsCommandError } from './sessions-actions.js';
import { DEFAULT_COLUMNS, sessionDetailLines, sessionsTable } from './sessions-format.js';

export const SESSIONS_HELP = `Usage: omnicloud sessions list [--tenant T] [--chat C [--thread TH]] [--limit N] [--json]
       omnicloud sessions show ID [--tenant T] [--json]
       omnicloud sessions export ID [--tenant T] [--format jsonl|md] [--out FILE [--force]]
       omnicloud sessions delete ID [--tenant T] [--yes]
       omnicloud sessions import FILE [--tenant T] --chat C [--thread TH] [--yes]

The sessions of a tenant's conversations, from the session catalog (SQLite in OMNICLOUD_DATA_DIR,
or DynamoDB + S3 with OMNICLOUD_STORAGE=cloud). --tenant may be left out when there is one tenant.

list: newest first (default 50, at most 1000): last turn (UTC), the full session id, the
  conversation (chat or chat/thread), turns, cost, state (current: the conversation continues
  it; expired: its history is gone, never resumed) and the first question, cut to fit the
  terminal (narrow ones drop cost, then turns). --json prints the sessions as one JSON array
  with every field.
show: one session: dates, turns, cost, model, history, and the size of its main transcript and
  each subagent transcript in the store, with their location.
export: the transcript to stdout (pipe it) or to --out FILE (refused if FILE exists, unless
  --force). --format jsonl (the default: the main transcript's raw entries, as Claude Code
  writes them) or md (a readable Markdown record with the subagents'; the default when FILE
  ends in .md).
delete: removes the session's transcripts (main and subagents) and its catalog entry; a
  conversation on it starts afresh at its next message. Asks first in a terminal; elsewhere
  it needs --yes.
import: a Claude Code transcript (~/.claude/projects/<dir>/<session-id>.jsonl, with the
  <session-id>/subagents/ folder next to it if there is one) becomes a session of the
  conversation --chat/--thread (default thread: main), and the conversation continues it at its
  next message. The file is checked first (at most 50 MB, every line a JSON object, a session id
  the tenant does not have yet); a failed import leaves nothing behind. Asks first in a terminal;
  elsewhere it needs --yes.
Exit codes: 0 done, 1 refused or failed (one line on stderr), 2 usage.`;

export interface SessionsIO {
  out(line: string): void;
  err(line: string): void;
  /** stdout without a line break added (an export's body). */
  write(text: string): void;
  /** Terminal width (stdout's columns); `undefined` when stdout is not a terminal. */
  columns: number | undefined;
  /** Whether someone can answer a question (stdin is a terminal). */
  interactive: boolean;
  /** Ask on the terminal; the answer line, or `null` when the input ended. */
  ask(question: string): Promise<string | null>;
}

/** What the command needs, built by the composition root once the arguments are read. */
export interface SessionsCommandDeps {
  storage: Storage;
  service: ConversationService;
  /** The deployment's tenants (the tenants file, or the single one). */
  tenants: readonly TenantId[];
  logger: Logger;
  now?(): number;
  close(): Promise<void>;
}

const OPTIONS = {
  tenant: { type: 'string' },
  chat: { type: 'string' },
  thread: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
  format: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Sub = 'list' | 'show' | 'export' | 'delete' | 'import';
type Option = Exclude<keyof typeof OPTIONS, 'help'>;

/** Which options each subcommand takes, and how many positional arguments. */
const SHAPE: Record<Sub, { options: readonly Option[]; args: string[] }> = {
  list: { options: ['tenant', 'chat', 'thread', 'limit', 'json'], args: [] },
  show: { options: ['tenant', 'json'], args: ['ID'] },
  export: { options: ['tenant', 'format', 'out', 'force'], args: ['ID'] },
  delete: { options: ['tenant', 'yes'], args: ['ID'] },
  import: { options: ['tenant', 'chat', 'thread', 'yes'], args: ['FILE'] },
};

export type SessionsArgs = ReturnType<typeof parseSessionsArgs>;

/**
 * `--chat -1001234` as `--chat=-1001234`: Telegram group ids are negative, and `parseArgs` takes a
 * value starting with '-' for an option of its own.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (/^--(chat|thread)$/.test(arg) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** The arguments, checked against the subcommand before anything is opened. */
export function parseSessionsArgs(argv: string[]) {
  const { values, positionals } = parseCommandArgs(joinNegativeValues(argv), OPTIONS);
  const [sub, ...args] = positionals;
  if (values.help) return { help: true as const };
  if (!sub || !Object.hasOwn(SHAPE, sub)) throw new UsageError(`sessions: unknown command "${sub ?? ''}"`);
  const shape = SHAPE[sub as Sub];
  for (const name of Object.keys(values) as Array<keyof typeof values>) {
    const given = values[name] !== undefined && values[name] !== false;
    if (given && name !== 'help' && !shape.options.includes(name)) {
      throw new UsageError(`sessions ${sub}: --${name} does not apply here`);
    }
  }
  if (args.length !== shape.args.length) {
    throw new UsageError(
      args.length < shape.args.length
        ? `sessions ${sub}: missing ${shape.args.join(' ')}`
        : `sessions ${sub}: unexpected arguments: ${args.slice(shape.args.length).join(' ')}`,
    );
  }
  if (values.thread !== undefined && values.chat === undefined) {
    throw new UsageError(`sessions ${sub}: --thread needs --chat`);
  }
  if (sub === 'import' && values.chat === undefined)
    throw new UsageError('sessions import: --chat is required');
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || limit < 1 || limit > 1000) {
      throw new UsageError(`sessions list: --limit must be a whole number from 1 to 1000`);
    }
  }
  const format = values.format ?? (values.out?.toLowerCase().endsWith('.md') ? 'md' : 'jsonl');
  if (format !== 'jsonl' && format !== 'md') {
    throw new UsageError(`sessions export: --format must be jsonl or md, not "${format}"`);
  }
  if (values.force && values.out === undefined) throw new UsageError('sessions export: --force needs --out');
  return {
    help: false as const,
    sub: sub as Sub,
    arg: args[0] ?? '',
    tenant: values.tenant !== undefined ? parseTenantId(values.tenant) : undefined,
    chat: values.chat !== undefined ? parseChatId(values.chat) : undefined,
    thread: values.thread !== undefined ? parseThreadId(values.thread) : undefined,
    limit,
    json: values.json,
    format: format as 'jsonl' | 'md',
    out: values.out,
    force: values.force,
    yes: values.yes,
  };
}

/** The tenant asked for, or the only one; an error listing them otherwise. */
function tenantOf(asked: TenantId | undefined, tenants: readonly TenantId[]): TenantId {
  if (asked !== undefined) {
    if (tenants.includes(asked)) return asked;
    throw new SessionsCommandError(
      `sessions: no tenant ${asked} in this deployment (tenants: ${tenants.join(', ')})`,
    );
  }
  if (tenants.length === 1) return tenants[0]!;
  throw new SessionsCommandError(
    `sessions: this deployment has ${tenants.length} tenants; choose one with --tenant (${tenants.join(', ')})`,
  );
}

/** Sessions listed by default. */
export const DEFAULT_LIST_LIMIT = 50;

/** `omnicloud sessions list|show|export|delete|import`. Returns the exit code. */
export async function runSessions(
  argv: string[],
  io: SessionsIO,
  deps: () => Promise<SessionsCommandDeps>,
): Promise<number> {
  const args = parseSessionsArgs(argv);
  if (args.help) {
    io.out(SESSIONS_HELP);
    return 0;
  }
  const app = await deps();
  try {
    const tenant = tenantOf(args.tenant, app.tenants);
    const now = app.now?.() ?? Date.now();
    switch (args.sub) {
      case 'list': {
        const sessions = await app.service.tenantSessions(tenant, {
          ...(args.chat !== undefined ? { chat: args.chat } : {}),
          ...(args.thread !== undefined ? { thread: args.thread } : {}),
          limit: args.limit ?? DEFAULT_LIST_LIMIT,
        });
        if (args.json) io.out(JSON.stringify(sessions, null, 2));
        else if (sessions.length === 0) io.out(`no sessions in tenant ${tenant}`);
        else for (const line of sessionsTable(sessions, io.columns ?? DEFAULT_COLUMNS)) io.out(line);
        return 0;
      }
      case 'show': {
        const detail = await app.service.session(tenant, args.arg);
        if (args.json) io.out(JSON.stringify(detail, null, 2));
        else for (const line of sessionDetailLines(detail, now)) io.out(line);
        return 0;
      }
      case 'export':
        return await exportCommand(app, tenant, args, io);
      case 'delete':
        return await deleteCommand(app, tenant, args, io);
      case 'import':
        return await importCommand(app, tenant, args, io);
    }
  } finally {
    await app.close();
  }
}
