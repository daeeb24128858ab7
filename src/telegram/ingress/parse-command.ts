/** A command at the start of a message: `/name@bot args`. Names may contain `-` (e.g. `/hello-world`). */
export interface ParsedCommand {
  name: string;
  /** The `@botname` suffix, if any (without `@`). */
  target?: string;
  args: string;
}

const COMMAND_RE = /^\/([A-Za-z0-9_-]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)\s*([\s\S]*)$/;

export function parseCommand(text: string): ParsedCommand | undefined {
  const match = COMMAND_RE.exec(text);
  if (!match) return undefined;
  const [, name = '', target, args = ''] = match;
  return { name: name.toLowerCase(), ...(target ? { target } : {}), args: args.trim() };
}

/** True if the command is for this bot (no suffix, or our username in any case). */
export function isForBot(command: ParsedCommand, botUsername: string): boolean {
  return command.target === undefined || command.target.toLowerCase() === botUsername.toLowerCase();
}
