import type { CommandsConfig } from './config.js';
import { BUILTIN_COMMANDS, type BuiltinCommand } from './config.js';

const BUILTIN_DESCRIPTIONS: Record<BuiltinCommand, string> = {
  start: 'What this bot does',
  help: 'List the commands',
  newchat: 'Start a conversation in a new topic: /newchat <text>',
  new: 'Start a fresh conversation here',
  stop: 'Stop the turn running here, or cancel its approval request',
  debug: "This conversation's approvals and transcript files",
  cost: "Show this conversation's usage",
  sessions: "This conversation's recent sessions: tap one to continue it",
  model: 'Show or choose the model here: /model [alias|default]',
  agent: 'Show or choose the agent here: /agent [name|default]',
  schedule: 'Scheduled runs here: /schedule add|list|pause|resume|remove',
};

export function isBuiltin(name: string): name is BuiltinCommand {
  return (BUILTIN_COMMANDS as readonly string[]).includes(name);
}

/** Every command with its description: built-ins first, then the configured ones. */
export function commandList(config: CommandsConfig): Array<{ command: string; description: string }> {
  return [
    ...BUILTIN_COMMANDS.map((command) => ({ command, description: BUILTIN_DESCRIPTIONS[command] })),
    ...Object.entries(config).map(([command, c]) => ({ command, description: c.description })),
  ];
}

/** The `/help` text. */
export function helpText(config: CommandsConfig): string {
  return commandList(config)
    .map((c) => `/${c.command} — ${c.description}`)
    .join('\n');
}

/** Commands Telegram accepts in `setMyCommands` (its names allow only a-z, 0-9 and `_`). */
export function menuCommands(config: CommandsConfig): Array<{ command: string; description: string }> {
  return commandList(config).filter((c) => /^[a-z0-9_]{1,32}$/.test(c.command));
}

/** The agent prompt of a configured agent command. */
export function agentPrompt(name: string, template: string | undefined, args: string): string {
  if (template !== undefined) return template.split('{args}').join(args).trim();
  const base = `Use the skill "${name}".`;
  return args ? `${base}\n\n${args}` : base;
}
