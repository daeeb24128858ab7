/**
 * Text in a stored user message that no person typed: what the `claude` binary injects (reminders,
 * slash-command echoes, image notes) and the runner's own context blocks (when the message was
 * sent, who sent it and what it replies to, the files sent with it). One list for every reader of
 * transcripts: the offline model (what it was told), an import (what counts as a prompt).
 */
export const INJECTED_PREFIXES: readonly string[] = [
  '<system-reminder>',
  'Base directory for this skill:',
  '[Request interrupted',
  '<command-name>',
  '<command-message>',
  '<local-command-stdout>',
  '<local-command-caveat>',
  'Caveat: The messages below',
  // The runner's context block: when the user sent the message.
  '<message_time>',
  // The runner's block saying who sent the message and what it replies to (issue 17).
  '<message_from ',
  '<reply_to',
  // The runner's note about a file sent with the message.
  '<attachment ',
  // The binary's note after an image block of a user message: where it keeps a copy.
  '[Image: source:',
];

/** Whether a user message's text block was injected rather than typed by a person. */
export function isInjectedText(text: string): boolean {
  const trimmed = text.trimStart();
  return INJECTED_PREFIXES.some((prefix) => trimmed.startsWith(prefix));
}
