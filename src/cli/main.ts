import { buildDeps } from '../app/build-deps.js';
import { parseEnv } from '../config/env.js';
import { ConfigError, errorMessage, OmniError } from '../core/errors.js';
import { UsageError } from './args.js';
import { runChat, type ChatIO } from './chat.js';
import { runConfigCommand } from './config-command.js';
import { runStart } from './start.js';

const HELP = `omnicloud — a stateful Claude agent on stateless compute

Commands:
  chat [-m TEXT] [--tenant T] [--chat C] [--thread H] [--json]   talk to the agent (see: omnicloud chat --help)
  approve ID allow_once|allow_conversation|deny [--tenant T]      decide a pending tool call (see: omnicloud approve --help)
  config check [--config-dir DIR]                                 validate an agent-config folder
  schedules list|sync [--tenant T] [--json] [--dry-run]           scheduled runs: list them; apply schedules.yaml (and EventBridge on AWS)
  sessions list|show|export|delete|import [--tenant T] …          conversations' sessions (see: omnicloud sessions --help)
  start                                                           run the local app (same as npm start)
  serve [--port N] [--host H]                                     the agent HTTP API on Node (needs API_AUTH_TOKEN)
  telegram set-webhook [--stack NAME] [--url URL]                 register the deployed webhook with Telegram
  deploy [--guided] [--stack NAME]                                sam build + sam deploy with progress output

Environment: see .env.example (OMNICLOUD_DATA_DIR, OMNICLOUD_CONFIG_DIR, model provider, Telegram).`;

/** Entry of the `omnicloud` binary. Returns the exit code; errors are printed without stack traces. */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  const err = (s: string): void => void process.stderr.write(`${s}\n`);
  const rawEnv = process.env;
  const chatIO: ChatIO = {
    input: process.stdin,
    out,
    err,
    write: (s) => void process.stdout.write(s),
    writeErr: (s) => void process.stderr.write(s),
    interactive: Boolean(process.stdin.isTTY),
  };
  try {
    switch (command) {
      case 'chat':
        return await runChat(rest, chatIO, () =>
          buildDeps(parseEnv(rawEnv), { rawEnv, defaultLogLevel: 'warn' }),
        );
      case 'approve': {
        const { runApprove } = await import('./approve.js');
        return await runApprove(rest, chatIO, () =>
          buildDeps(parseEnv(rawEnv), { rawEnv, defaultLogLevel: 'warn' }),
        );
      }
      case 'config':
        return await runConfigCommand(rest, { out, err, env: rawEnv });
      case 'telegram': {
        const [sub, ...args] = rest;
        if (sub !== 'set-webhook') throw new UsageError(`unknown telegram command "${sub ?? ''}"`);
        const { runSetWebhook } = await import('./set-webhook.js');
        return await runSetWebhook(args, { out, err, env: rawEnv });
      }
      case 'deploy': {
        const { runDeploy } = await import('./deploy.js');
        return await runDeploy(rest, { out, err, cwd: process.cwd() });
      }
      case 'schedules': {
        const { runSchedules } = await import('./schedules.js');
        const { schedulesCommandFor } = await import('./schedules-command.js');
        return await runSchedules(rest, { out, err }, () => schedulesCommandFor(parseEnv(rawEnv), rawEnv));
      }
      case 'sessions': {
        const { runSessions } = await import('./sessions.js');
        const { sessionsCommandFor } = await import('./sessions-deps.js');
        const { terminalQuestion } = await import('./sessions-terminal.js');
        return await runSessions(
          rest,
          {
            out,
            err,
            write: (s) => void process.stdout.write(s),
            columns: process.stdout.isTTY ? process.stdout.columns : Number(rawEnv['COLUMNS']) || undefined,
            interactive: Boolean(process.stdin.isTTY),
            ask: terminalQuestion(process.stdin, process.stderr),
          },
          () => sessionsCommandFor(parseEnv(rawEnv), rawEnv),
        );
      }
      case 'serve': {
        const { runServe } = await import('./serve.js');
        return await runServe(rest, rawEnv, err);
      }
      case 'start':
        return await runStart(parseEnv(rawEnv), rawEnv, chatIO);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(HELP);
        return command === undefined ? 2 : 0;
      default:
        err(`unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n\n${HELP}`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof OmniError) {
      err(e.message);
      return 1;
    }
    err(`omnicloud: ${errorMessage(e)}`);
    return 1;
  }
}
