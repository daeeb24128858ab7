/**
 * Approval requests in Telegram (issue 14): the buttons' callback data, the approval message and
 * its edits, and what the ingress and worker need of the approval store (`TelegramApprovals`).
 * Loads no Markdown converter (the ingress bundle uses it).
 */
export { approvalButtonData, isApprovalData, parseApprovalData } from './data.js';
export type { ApprovalOutcome } from './view.js';
export { editApprovalNotice, sendApprovalRequest } from './notice.js';
export type { TelegramApprovals } from './types.js';
