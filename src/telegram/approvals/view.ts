import type { InlineKeyboardMarkup } from 'grammy/types';
import type { ApprovalId, ApprovalResolution } from '../../approvals/types.js';
import { approvalButtonData } from './data.js';

/**
 * The approval message (MarkdownV2, escaped here: it must not load the worker's Markdown
 * converter, the ingress edits it too) and the lines a decision adds to it.
 */

/** What the message shows of a request (from `PendingApproval` or the stored `ApprovalRecord`). */
export interface ApprovalShown {
  id: ApprovalId;
  tool: string;
  summary: string;
  grantRule: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Longest summary shown (the message is at most 4096 characters once escaped). */
const MAX_SUMMARY = 2500;

/** Escape text outside entities for MarkdownV2. */
export function escapeMarkdownV2(text: string): string {
  return text.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, '\\$&');
}

/** Escape text inside a MarkdownV2 code block or inline code (only `` ` `` and `\`). */
export function escapeCode(text: string): string {
  return text.replace(/[`\\]/g, '\\$&');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const codeBlock = (text: string): string => '```\n' + escapeCode(clip(text, MAX_SUMMARY)) + '\n```';
const inlineCode = (text: string): string => '`' + escapeCode(clip(text, 200)) + '`';

/** `22:40 UTC (in 30 min)`. */
function expiryText(expiresAt: number, now: number): string {
  const at = new Date(expiresAt).toISOString().slice(11, 16);
  const minutes = Math.max(0, Math.round((expiresAt - now) / 60_000));
  return `${at} UTC (in ${minutes} min)`;
}

function header(shown: Pick<ApprovalShown, 'tool' | 'summary'>, asked: boolean): string {
  const lead = asked ? '🔐 *Approval needed*\nThe agent wants to run ' : 'The agent asked to run ';
  return `${lead}*${escapeMarkdownV2(shown.tool)}*:\n${codeBlock(shown.summary)}`;
}

/** The request as first shown, with its three buttons. */
export function approvalRequestView(
  shown: ApprovalShown,
  now: number,
): { text: string; keyboard: InlineKeyboardMarkup } {
  const text = [
    header(shown, true),
    escapeMarkdownV2('"Allow in this conversation" also allows ') +
      inlineCode(shown.grantRule) +
      escapeMarkdownV2(' until /new.'),
    escapeMarkdownV2(`Expires at ${expiryText(shown.expiresAt, now)}; then it is not run.`),
  ].join('\n');
  return {
    text,
    keyboard: {
      inline_keyboard: [
        [
          { text: '✅ Allow once', callback_data: approvalButtonData(shown.id, 'allow_once') },
          { text: '❌ Deny', callback_data: approvalButtonData(shown.id, 'deny') },
        ],
        [
          {
            text: '✅ Allow in this conversation',
            callback_data: approvalButtonData(shown.id, 'allow_conversation'),
          },
        ],
      ],
    },
  };
}

/** How a request ended, as the line that replaces its buttons. */
export type ApprovalOutcome =
  | { status: ApprovalResolution; by?: string | undefined; grantRule?: string | undefined }
  | { status: 'unavailable'; reason: string };

/** The outcome line (MarkdownV2). */
export function outcomeLine(outcome: ApprovalOutcome): string {
  const by = 'by' in outcome && outcome.by ? ` by ${escapeMarkdownV2(outcome.by)}` : '';
  switch (outcome.status) {
    case 'allow_once':
      return `✅ Allowed once${by}`;
    case 'allow_conversation':
      return (
        `✅ Allowed in this conversation${by}` +
        (outcome.grantRule ? ` — ${inlineCode(outcome.grantRule)} until /new` : '')
      );
    case 'deny':
      return `❌ Denied${by}`;
    case 'superseded':
      return escapeMarkdownV2('↩️ Not run: a new message came instead.');
    case 'expired':
      return escapeMarkdownV2('⌛ Expired — not run.');
    case 'cancelled':
      return `⏹ Cancelled${by} — not run${escapeMarkdownV2('.')}`;
    case 'unavailable':
      return escapeMarkdownV2(`⚠️ Not run: ${outcome.reason}`);
  }
}

/** The message once decided: what was asked, then how it ended (no buttons). */
export function approvalOutcomeView(
  shown: Pick<ApprovalShown, 'tool' | 'summary'>,
  outcome: ApprovalOutcome,
): string {
  return `${header(shown, false)}\n${outcomeLine(outcome)}`;
}

/** Plain-text fallback of a MarkdownV2 text built here (if Telegram refuses to parse it). */
export function plainOf(markdownV2: string): string {
  // One pass: code keeps everything but its escapes; elsewhere escaped characters stay and only
  // the markup (`*`) goes.
  return markdownV2.replace(
    /```\n?((?:\\[\s\S]|[^`\\])*)\n?```|`((?:\\[\s\S]|[^`\\])*)`|\\([\s\S])|\*/g,
    (_m, block: string | undefined, inline: string | undefined, escaped: string | undefined) => {
      const code = block ?? inline;
      if (code !== undefined) return code.replace(/\\([\s\S])/g, '$1');
      return escaped ?? '';
    },
  );
}
