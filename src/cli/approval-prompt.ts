import { userInfo } from 'node:os';
import type { ApprovalDecision, PendingApproval } from '../approvals/types.js';

/** Exit code of `omnicloud chat -m` / `omnicloud approve` when the turn ended waiting for an approval. */
export const EXIT_PENDING_APPROVAL = 3;

export const APPROVAL_QUESTION = 'Allow? [y] once / [a] always in this conversation / [n] no: ';

const ANSWERS: Record<string, ApprovalDecision> = { y: 'allow_once', a: 'allow_conversation', n: 'deny' };

/** `y` / `a` / `n` (any case, surrounding spaces ignored) as a decision; anything else is `null`. */
export function parseApprovalAnswer(line: string): ApprovalDecision | null {
  return ANSWERS[line.trim().toLowerCase()] ?? null;
}

const SUMMARY_MAX = 2000;

/** What the model wrote, safe for a terminal: no control characters but line breaks, capped. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const clean = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]+/g, ' ');
  return clean.length > SUMMARY_MAX ? `${clean.slice(0, SUMMARY_MAX - 1)}…` : clean;
}

/** Minutes (or seconds) from `now` to an ISO time, for people: `in 30 min`, `expired`. */
function untilText(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return '';
  if (ms <= 0) return ' (expired)';
  return ms < 60_000 ? ` (in ${Math.ceil(ms / 1000)} s)` : ` (in ${Math.round(ms / 60_000)} min)`;
}

/** The request as printed before the question (and by `-m`): tool, summary, grant rule, expiry, id. */
export function formatPendingApproval(pending: PendingApproval, now = Date.now()): string {
  const summary = printable(pending.summary).split('\n');
  return [
    `⏸  The agent wants to run ${printable(pending.tool)}:`,
    ...summary.map((line) => `     ${line}`),
    `   "always in this conversation" allows: ${printable(pending.grant_rule)}`,
    `   decide before ${pending.expires_at}${untilText(pending.expires_at, now)} · id ${pending.id}`,
  ].join('\n');
}

/** How to decide later from a shell (after `-m`, or when the chat's input ended at the question). */
export function approveCommandHint(pending: PendingApproval, tenant: string): string {
  const flag = tenant === 'default' ? '' : ` --tenant ${tenant}`;
  return `decide with: omnicloud approve ${pending.id} allow_once|allow_conversation|deny${flag}`;
}

/** Who decides from this terminal: `cli:<os user>` (`cli:unknown` when the OS cannot say). */
export function cliDecider(): string {
  try {
    return `cli:${userInfo().username || 'unknown'}`;
  } catch {
    return 'cli:unknown';
  }
}

/** The terminal as the question sees it: the next input line (`null` at the end), the prompt, a line of its own. */
export interface QuestionIO {
  nextLine(): Promise<string | null>;
  ask(question: string): void;
  note(line: string): void;
}

/**
 * Shows the request and asks until y/a/n. `null` when the input ended (EOF, or Ctrl-C closed it):
 * nothing is decided and the request stays pending (said, with how to decide later).
 */
export async function askDecision(
  pending: PendingApproval,
  tenant: string,
  io: QuestionIO,
): Promise<ApprovalDecision | null> {
  io.note(formatPendingApproval(pending));
  for (;;) {
    io.ask(APPROVAL_QUESTION);
    const answer = await io.nextLine();
    if (answer === null) {
      io.ask('\n');
      io.note(`left pending: nothing ran. ${approveCommandHint(pending, tenant)}`);
      return null;
    }
    const decision = parseApprovalAnswer(answer);
    if (decision) return decision;
  }
}
