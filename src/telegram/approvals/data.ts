import { isApprovalId } from '../../approvals/ids.js';
import type { ApprovalDecision, ApprovalId } from '../../approvals/types.js';

/**
 * `callback_data` of an approval button: `ap:<22-character id>:o|c|d` (27 bytes, within
 * Telegram's 64). Opaque: it names the request and the choice, never the tool input; the
 * conversation is the one the button's message is in, never taken from the data.
 */
const CODES = { allow_once: 'o', allow_conversation: 'c', deny: 'd' } as const satisfies Record<
  ApprovalDecision,
  string
>;
const DECISIONS = Object.fromEntries(
  Object.entries(CODES).map(([decision, code]) => [code, decision as ApprovalDecision]),
) as Record<string, ApprovalDecision>;
// The id's own shape is checked by `isApprovalId`.
const DATA_RE = /^ap:([^:]+):([ocd])$/;

export function approvalButtonData(id: ApprovalId, decision: ApprovalDecision): string {
  return `ap:${id}:${CODES[decision]}`;
}

/** Whether the data is meant as an approval button (`ap:`), valid or not. */
export function isApprovalData(data: string): boolean {
  return data.startsWith('ap:');
}

/** The request and the choice an approval button names, or undefined (parsed strictly: never trusted). */
export function parseApprovalData(data: string): { id: ApprovalId; decision: ApprovalDecision } | undefined {
  const match = DATA_RE.exec(data);
  const id = match?.[1];
  const decision = match?.[2] !== undefined ? DECISIONS[match[2]] : undefined;
  if (!isApprovalId(id) || decision === undefined) return undefined;
  return { id, decision };
}
