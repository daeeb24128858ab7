/** Every sentence the ingress answers with (plain text, no parse mode); the worker's are in `worker/texts.ts`. */
export const texts = {
  start:
    "Hi! I'm the OmniCloud Ops Agent. Send me a message and I'll answer; I remember this conversation.\n" +
    'In a group with Topics, every topic is its own conversation: /newchat <text> starts one.\n' +
    'Send /help for the commands.',
  generalHint:
    'This is the General topic. Start a conversation with /newchat <your message> — I will open a new topic for it.',
  newchatUsage: 'Usage: /newchat <your message> — opens a new topic and starts the conversation there.',
  newchatNeedsForum:
    '/newchat needs a group with Topics enabled. Here, just keep writing, or send /new to start over.',
  newchatNoRights: "I couldn't create a topic: make me an administrator with the 'Manage topics' right.",
  newchatCreated: (link: string): string => `Started a new conversation: ${link}`,
  newchatOpening: (author: string, text: string): string => `${author} asked:\n${text}`,
  notSupported: (kind: string): string =>
    `${kind} are not supported yet. I can read text, photos and documents (logs, configs, PDFs…): ` +
    'please send it as one of those.',
  fileTooLarge: (what: string, bytes: number, maxBytes: number): string =>
    `${what} is too large for me (${megabytes(bytes)}; I accept files up to ${megabytes(maxBytes)}). ` +
    'Nothing was sent to the agent: please send a smaller file, or the relevant part as text.',
  unknownCommand: (name: string, available: string[]): string =>
    `Unknown command /${name}. Available: ${available.map((c) => `/${c}`).join(', ')}`,
  forumReady: 'Ready. Every topic here is its own conversation. Use /newchat <your message> to start one.',
  forumMissing: (missing: string[]): string =>
    `To work in this group I need:\n${missing.map((m) => `• ${m}`).join('\n')}`,
  missingTopics: 'Topics enabled for the group (Group settings → Topics)',
  missingAdmin: "administrator rights with 'Manage topics'",
  stopping: '⏹ Stopping the current turn…',
  nothingRunning: 'Nothing is running in this conversation.',
  stopUnavailable: 'Stopping a turn is not available in this setup.',
  // Answers to a button press (answerCallbackQuery: a short notice, at most 200 characters).
  buttonStopping: 'Stopping…',
  buttonTurnEnded: 'That turn has already ended.',
  buttonNotAllowed: 'Not allowed.',
  buttonUnknown: 'Unknown button',
  // Approval buttons (Allow once / Allow in this conversation / Deny) and /stop of a pending request.
  approvalAllowingOnce: 'Allowing once…',
  approvalAllowingConversation: 'Allowing in this conversation…',
  approvalDenying: 'Denying…',
  approvalNotAllowed: 'You may not decide approval requests in this chat.',
  approvalsUnavailable: 'Approvals are not available in this setup.',
  approvalUnknown: 'Unknown approval request: nothing was changed.',
  approvalForeign: 'This approval request does not belong to this conversation: nothing was changed.',
  approvalExpired: "This request expired: it was not run. The agent is told at the conversation's next turn.",
  approvalAlready: (how: string): string => `Already decided: ${how}.`,
  // Conversation management (issue 17): /sessions, its buttons, /model, /agent.
  sessionsUsage: (max: number): string =>
    `Usage: /sessions [n] — the last n sessions of this conversation (1–${max}; default 10).`,
  settingUsage: (field: 'model' | 'agent'): string =>
    field === 'model'
      ? 'Usage: /model shows the model; /model <alias> chooses one; /model default goes back to the default.'
      : 'Usage: /agent shows the agent; /agent <name> chooses one; /agent default goes back to the main agent.',
  sessionSwitching: 'Switching…',
  sessionButtonStale: 'This list is too old to use: send /sessions again.',
  sessionSwitchFailed: 'Could not switch just now: please tap again in a moment.',
  approvalCancelled: '⏹ Cancelled the pending approval request: the tool call was not run.',
} as const;

/** Bytes as megabytes for people (`20 MB`, `1.5 MB`). */
function megabytes(n: number): string {
  const mb = n / (1024 * 1024);
  return `${mb >= 10 || Number.isInteger(mb) ? Math.round(mb) : mb.toFixed(1)} MB`;
}
