import type { Logger } from '../../src/core/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSetWebhook } from '../../src/cli/set-webhook.js';
import { TELEGRAM_COMMANDS } from '../../src/generated/telegram-commands.js';
import {
  createTelegramBot,
  menuCommands,
  parseCommandsConfig,
  registerCommandMenu,
} from '../../src/telegram/index.js';
import { FAKE_TOKEN, startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';

/** The command menu (`setMyCommands`) against the fake Bot API. */
let api: FakeTelegramApi;

beforeAll(async () => {
  api = await startFakeTelegramApi();
});
afterAll(() => api?.close());

const BUILTINS = [
  'start',
  'help',
  'newchat',
  'new',
  'stop',
  'debug',
  'cost',
  'sessions',
  'model',
  'agent',
  'schedule',
];

describe('command menu', () => {
  it('registers the built-ins, then configured commands Telegram accepts (not hello-world)', async () => {
    const bot = createTelegramBot({ token: FAKE_TOKEN, apiRoot: api.apiRoot, botInfo: api.botInfo });
    const commands = parseCommandsConfig({
      commands: {
        deploy: { type: 'agent', description: 'Deploy something' },
        'hello-world': { type: 'static', description: 'Hi', text: 'hi' },
      },
    });
    expect(await registerCommandMenu(bot.api, commands)).toBe(true);
    const [call] = api.callsTo('setMyCommands').slice(-1);
    const sent = call?.params.commands as Array<{ command: string; description: string }>;
    expect(sent.map((c) => c.command)).toEqual([...BUILTINS, 'deploy']);
    expect(sent.find((c) => c.command === 'deploy')?.description).toBe('Deploy something');
    expect(sent.every((c) => c.description.length > 0)).toBe(true);
  });

  it('omnicloud telegram set-webhook sets the webhook and the menu of the deployed commands', async () => {
    const lines: string[] = [];
    const code = await runSetWebhook(
      ['--url', 'https://tunnel.example/telegram/default'],
      {
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
        env: {
          TELEGRAM_API_ROOT: api.apiRoot,
          TELEGRAM_BOT_TOKEN: FAKE_TOKEN,
          TELEGRAM_WEBHOOK_SECRET: 'a-webhook-secret',
        },
      },
      {
        stackOutputs: () => Promise.reject(new Error('not used with --url')),
        secrets: () => Promise.reject(new Error('not used with --url')),
        fetch: (...a) => fetch(...a),
      },
    );
    expect(code).toBe(0);
    expect(api.callsTo('setWebhook').at(-1)?.params.url).toBe('https://tunnel.example/telegram/default');
    const expected = menuCommands(parseCommandsConfig(TELEGRAM_COMMANDS));
    expect(api.callsTo('setMyCommands').at(-1)?.params.commands).toEqual(expected);
    expect(expected.slice(0, BUILTINS.length).map((c) => c.command)).toEqual(BUILTINS);
    expect(lines.join('\n')).toContain('command menu set: /start /help');
  });

  it('logs and goes on when Telegram refuses the menu', async () => {
    const bot = createTelegramBot({ token: FAKE_TOKEN, apiRoot: api.apiRoot, botInfo: api.botInfo });
    api.failNext('setMyCommands', { error_code: 400, description: 'Bad Request: bad command' }, 1);
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (m: string) => warnings.push(m),
      error: () => {},
      child: () => logger,
    };
    expect(await registerCommandMenu(bot.api, {}, logger)).toBe(false);
    expect(warnings).toEqual(['telegram: could not register the command menu']);
  });
});
