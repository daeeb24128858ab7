import type { Api } from 'grammy';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { menuCommands } from './commands.js';
import type { CommandsConfig } from './config.js';

/**
 * Registers the bot's command menu (`setMyCommands`, default scope): the built-ins, then the
 * configured commands whose names Telegram accepts. A failure is logged, never thrown: the bot
 * works without a menu.
 */
export async function registerCommandMenu(
  api: Api,
  commands: CommandsConfig,
  logger: Logger = silentLogger,
): Promise<boolean> {
  try {
    await api.setMyCommands(menuCommands(commands));
    return true;
  } catch (err) {
    logger.warn('telegram: could not register the command menu', { error: errorMessage(err) });
    return false;
  }
}
