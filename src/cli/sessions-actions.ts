import { randomBytes } from 'node:crypto';
import { link, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { planImport, runImport, type ImportPlan } from '../conversations/import.js';
import type { TenantId } from '../core/ids.js';
import { conversationKey } from '../core/keys.js';
import { OmniError } from '../core/errors.js';
import { cliDecider } from './approval-prompt.js';
import type { SessionsArgs, SessionsCommandDeps, SessionsIO } from './sessions.js';
import { bytesLabel, conversationLabel, utcMinute } from './sessions-format.js';

type Args = Extract<SessionsArgs, { help: false }>;

/** The changes of `omnicloud sessions`: export, delete, import (each refuses cleanly, changing nothing). */

/** A refusal of the command itself (a file in the way, a question declined): one line, exit 1. */
export class SessionsCommandError extends OmniError {
  constructor(message: string) {
    super('sessions_command', message, { status: 400 });
  }
}

/** Ask y/N on the terminal (unless `--yes`); without a terminal `--yes` is required. */
async function confirmed(io: SessionsIO, yes: boolean, what: string, question: string): Promise<boolean> {
  if (yes) return true;
  if (!io.interactive) {
    throw new SessionsCommandError(`sessions ${what}: not a terminal, nobody to ask; add --yes to go ahead`);
  }
  const answer = await io.ask(`${question} [y/N] `);
  return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * Write `body` to `file` whole or not at all: a temporary file beside it, then a hard link (which
 * fails if `file` appeared meanwhile) or, with `--force`, a rename over it.
 */
async function writeWhole(file: string, body: string, force: boolean): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, body, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    throw new SessionsCommandError(`sessions export: cannot write ${file}: ${err.code ?? err.message}`);
  });
  try {
    if (force) await rename(temp, file);
    else
      await link(temp, file).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST'
          ? new SessionsCommandError(`sessions export: ${file} exists; add --force to replace it`)
          : err;
      });
  } finally {
    await rm(temp, { force: true });
  }
}

export async function exportCommand(
  app: SessionsCommandDeps,
  tenant: TenantId,
  args: Args,
  io: SessionsIO,
): Promise<number> {
  io.err(`exporting session ${args.arg} of tenant ${tenant} as ${args.format}…`);
  const exported = await app.service.exportSession(tenant, args.arg, args.format);
  const bytes = Buffer.byteLength(exported.body);
  if (args.out === undefined) {
    io.write(exported.body);
    io.err(`exported ${bytesLabel(bytes)}`);
    return 0;
  }
  const file = resolve(args.out);
  await writeWhole(file, exported.body, args.force);
  io.err(`wrote ${file} (${bytesLabel(bytes)})`);
  return 0;
}

export async function deleteCommand(
  app: SessionsCommandDeps,
  tenant: TenantId,
  args: Args,
  io: SessionsIO,
): Promise<number> {
  // Looked up first: an unknown id is refused before anyone is asked.
  const { session } = await app.service.session(tenant, args.arg);
  const current = session.current ? ', the conversation’s current session' : '';
  io.out(
    `session ${session.sessionId} (conversation ${conversationLabel(session.key)}${current}): ` +
      `${session.turns} turn(s), last ${utcMinute(session.updatedAt)} UTC, "${session.title}"`,
  );
  if (!(await confirmed(io, args.yes, 'delete', 'Delete its transcripts and catalog entry for good?'))) {
    io.err('nothing deleted');
    return 1;
  }
  const outcome = await app.service.deleteSession(tenant, session.sessionId, cliDecider());
  io.out(
    `deleted session ${session.sessionId}` +
      (outcome.subagentsDeleted.length > 0
        ? ` and ${outcome.subagentsDeleted.length} subagent transcript(s)`
        : '') +
      (outcome.wasCurrent ? '; the conversation starts afresh at its next message' : '') +
      (outcome.cancelledApproval ? `; approval request ${outcome.cancelledApproval} cancelled` : ''),
  );
  return 0;
}

function describePlan(plan: ImportPlan): string[] {
  const { source } = plan;
  const span =
    source.firstAt !== null && source.lastAt !== null
      ? `${utcMinute(source.firstAt)} – ${utcMinute(source.lastAt)} UTC`
      : 'no timestamps';
  const lines = [
    `session ${source.sessionId}: ${source.main.entries.length} entries` +
      (source.subagents.length > 0 ? ` + ${source.subagents.length} subagent transcript(s)` : '') +
      `, ${bytesLabel(source.bytes)}, ${source.prompts} prompt(s), ${span}`,
    `first prompt: ${source.title === '' ? '-' : source.title}`,
    `into: tenant ${plan.key.tenant}, conversation ${conversationLabel(plan.key)}` +
      ` (it will continue this session at its next message)`,
  ];
  if (plan.replaces) {
    lines.push(
      `the conversation is now on session ${plan.replaces}: it stays listed and can be switched back to`,
    );
  }
  return lines;
}

/** Progress lines at most about once a second, and always the last one. */
function progressPrinter(io: SessionsIO, now: () => number): (written: number, total: number) => void {
  let last = 0;
  return (written, total) => {
    const t = now();
    if (written < total && t - last < 1000) return;
    last = t;
    io.err(`imported ${written}/${total} entries`);
  };
}

export async function importCommand(
  app: SessionsCommandDeps,
  tenant: TenantId,
  args: Args,
  io: SessionsIO,
): Promise<number> {
  const key = conversationKey({ tenant, chat: args.chat, thread: args.thread });
  const plan = await planImport(app.storage, key, resolve(args.arg));
  for (const line of describePlan(plan)) io.out(line);
  if (!(await confirmed(io, args.yes, 'import', 'Import it?'))) {
    io.err('nothing imported');
    return 1;
  }
  const progress = progressPrinter(io, () => Date.now());
  const outcome = await runImport({ storage: app.storage, service: app.service, logger: app.logger }, plan, {
    by: cliDecider(),
    onProgress: (p) => progress(p.written, p.total),
  });
  io.out(
    `imported session ${outcome.session.sessionId} into ${tenant}/${conversationLabel(key)}: ` +
      `${outcome.entries} entries` +
      (outcome.subagents.length > 0 ? `, ${outcome.subagents.length} subagent transcript(s)` : '') +
      `; history kept until ${utcMinute(outcome.session.historyUntil)} UTC`,
  );
  return 0;
}
