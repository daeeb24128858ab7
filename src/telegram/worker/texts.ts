/** Every sentence the worker sends (plain text, no parse mode); the ingress's are in `ingress/texts.ts`. */
export const texts = {
  resetDone: 'Started a fresh conversation. Earlier messages are no longer used as context.',
  debugNone: 'There is no transcript for this conversation yet.',
  debugUnavailable: 'Transcript export is not available in this deployment.',
  costUnavailable: 'Usage reporting is not available in this deployment.',
  costNone: 'No usage recorded for this conversation yet.',
  emptyReply: '(The agent finished without a text reply.)',
  failed: (code: string): string =>
    `Sorry, I couldn't answer that message (${code}). Please try again in a moment.`,
  busy: 'This conversation is still busy with an earlier message. Please wait a moment and try again.',
  historyUnavailable:
    "I can't load this conversation's history, so I didn't answer (I won't silently start over). " +
    'Send /new to start a fresh conversation.',
  historyNotPersisted:
    "I couldn't save this turn to the conversation history, so it was discarded. Please try again.",
  modelError: 'The AI model service returned an error. Please try again in a moment.',
  turnInterrupted:
    'Your previous message was processed, but its reply was lost when the worker stopped. ' +
    'It is in the conversation history — ask again to get the answer.',
  turnStopped: '⏹ Stopped. What the agent answered so far is kept in the conversation.',
  approvalNeeded: 'The agent needs approval to run a tool call, but approvals are not available here',
  // `/debug`'s approvals part.
  debugApprovalsHeader: 'Approval requests (newest first):',
  debugApprovalsNone: 'No approval requests in this conversation.',
  debugGrants: (rules: string[]): string => `Allowed in this conversation until /new: ${rules.join(', ')}`,
  debugGrantsNone: 'Nothing is allowed in this conversation beyond the tool policy.',
  debugApprovalsUnreadable: 'Approval requests could not be read just now.',
  filesUnavailable: (count: number): string =>
    `Files are not available in this deployment, so I could not take the ${count === 1 ? 'file' : `${count} files`} ` +
    'you sent. Please send the content as text.',
  filesNotReceived: (lines: string[], answered: boolean): string =>
    `I couldn't take ${lines.length === 1 ? 'a file' : `${lines.length} files`}:\n${lines.map((l) => `• ${l}`).join('\n')}\n` +
    (answered
      ? 'Nothing of it was kept; I answered with the rest of your message.'
      : 'Nothing of it was kept and nothing was sent to the agent.'),
  approvalUnavailable:
    'That approval request can no longer be answered (already decided, expired or replaced), so nothing ran.',
} as const;
