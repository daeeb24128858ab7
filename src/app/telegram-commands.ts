import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { parseCommandsConfig, type CommandsConfig } from '../telegram/index.js';

export const COMMANDS_FILE = 'commands.yaml';

/** The bot's configured commands from `<configDir>/commands.yaml` (none if the file is absent). */
export async function loadTelegramCommands(configDir: string): Promise<CommandsConfig> {
  let text: string;
  try {
    text = await readFile(join(configDir, COMMANDS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  let decoded: unknown;
  try {
    decoded = parse(text);
  } catch (err) {
    throw new ConfigError([
      { file: COMMANDS_FILE, field: '', message: `not valid YAML: ${(err as Error).message}` },
    ]);
  }
  return parseCommandsConfig(decoded, COMMANDS_FILE);
}
