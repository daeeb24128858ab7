import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createSsmParameterClient } from '../aws/ssm.js';
import type { SecretParameterClient } from '../config/secrets.js';
import { OmniError } from '../core/errors.js';
import { TELEGRAM_COMMANDS } from '../generated/telegram-commands.js';
import { menuCommands } from '../telegram/commands.js';
import { parseCommandsConfig } from '../telegram/config.js';
import { ALLOWED_UPDATES } from '../telegram/ingress/polling.js';
import { parseCommandArgs, UsageError } from './args.js';

export const SET_WEBHOOK_HELP = `omnicloud telegram set-webhook [--stack NAME] [--region R] [--url URL] [--drop-pending-updates]

Registers the deployed webhook with Telegram: reads WebhookUrl and the two secret parameter NAMES
from the stack outputs, the bot token and webhook secret from SSM Parameter Store, then calls
setWebhook (url + secret_token + the update kinds the bot handles), registers the command menu (setMyCommands) and prints
getWebhookInfo. Secrets are never taken from the command
line. With --url (e.g. a local tunnel) the token and secret come from TELEGRAM_BOT_TOKEN and
TELEGRAM_WEBHOOK_SECRET instead. TELEGRAM_API_ROOT overrides the Bot API base URL.`;

export interface SetWebhookIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

export interface SetWebhookDeps {
  /** CloudFormation outputs of a stack, by OutputKey. */
  stackOutputs(stack: string, region?: string): Promise<Record<string, string>>;
  /** SSM client for the two SecureString parameters (lazy AWS SDK by default). */
  secrets(region?: string): Promise<SecretParameterClient>;
  fetch: typeof fetch;
}

/** Outputs are read with the AWS CLI (already required by SAM), so the CLI needs no CloudFormation SDK. */
export async function awsCliStackOutputs(stack: string, region?: string): Promise<Record<string, string>> {
  const args = [
    'cloudformation',
    'describe-stacks',
    '--stack-name',
    stack,
    '--query',
    'Stacks[0].Outputs',
    '--output',
    'json',
  ];
  if (region) args.push('--region', region);
  const { stdout } = await promisify(execFile)('aws', args, { maxBuffer: 1024 * 1024 });
  const outputs = JSON.parse(stdout) as Array<{ OutputKey: string; OutputValue: string }> | null;
  return Object.fromEntries((outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

export const defaultSetWebhookDeps: SetWebhookDeps = {
  stackOutputs: awsCliStackOutputs,
  secrets: (region) => createSsmParameterClient(region ? { region } : {}),
  fetch: (...args) => fetch(...args),
};

class TelegramApiError extends OmniError {
  constructor(message: string) {
    super('telegram_api_error', `[cli:set-webhook] ${message}`, { status: 502 });
  }
}

/** `omnicloud telegram set-webhook`: returns the exit code. */
export async function runSetWebhook(
  argv: string[],
  io: SetWebhookIo,
  deps: SetWebhookDeps = defaultSetWebhookDeps,
): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    stack: { type: 'string', default: 'omnicloud' },
    region: { type: 'string' },
    url: { type: 'string' },
    'drop-pending-updates': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.out(SET_WEBHOOK_HELP);
    return 0;
  }
  let url = values.url;
  let token: string | undefined;
  let secret: string | undefined;
  if (url) {
    token = io.env.TELEGRAM_BOT_TOKEN;
    secret = io.env.TELEGRAM_WEBHOOK_SECRET;
    if (!token || !secret)
      throw new UsageError('--url needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET in the environment');
  } else {
    io.out(`reading outputs of stack ${values.stack}…`);
    const outputs = await deps.stackOutputs(values.stack, values.region);
    url = outputs.WebhookUrl;
    const tokenName = outputs.TelegramBotTokenParamNameOutput;
    const secretName = outputs.TelegramWebhookSecretParamNameOutput;
    if (!url || !tokenName || !secretName) {
      throw new UsageError(
        `stack ${values.stack} has no WebhookUrl / secret parameter outputs (is it an omnicloud stack?)`,
      );
    }
    io.out(`reading ${tokenName} and ${secretName} from SSM Parameter Store…`);
    const { values: found, invalid } = await (
      await deps.secrets(values.region)
    ).getParameters([tokenName, secretName]);
    if (invalid.length > 0) throw new UsageError(`SSM parameter(s) not found: ${invalid.join(', ')}`);
    token = found.get(tokenName);
    secret = found.get(secretName);
    if (!token || !secret) throw new UsageError('the bot token or webhook secret parameter is empty');
  }
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
    throw new UsageError(
      'the webhook secret must be 1–256 characters of A-Z, a-z, 0-9, _ and - (Telegram rule)',
    );
  }

  const apiRoot = (io.env.TELEGRAM_API_ROOT ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const call = async (method: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await deps.fetch(`${apiRoot}/bot${token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    } catch (err) {
      // Network errors may quote the URL, which contains the token.
      throw new TelegramApiError(
        `${method}: network error: ${String(err)
          .split(token as string)
          .join('[redacted]')}`,
      );
    }
    const json = (await res.json().catch(() => ({}))) as {
      ok?: boolean;
      description?: string;
      result?: unknown;
    };
    if (!json.ok)
      throw new TelegramApiError(`${method} refused: ${res.status} ${json.description ?? ''}`.trim());
    return (json.result ?? {}) as Record<string, unknown>;
  };

  await call('setWebhook', {
    url,
    secret_token: secret,
    allowed_updates: [...ALLOWED_UPDATES],
    drop_pending_updates: values['drop-pending-updates'],
  });
  // The menu the deployed bot answers to: the commands baked into the ingress at build time.
  const menu = menuCommands(parseCommandsConfig(TELEGRAM_COMMANDS, 'agent-config/commands.yaml'));
  await call('setMyCommands', { commands: menu });
  io.out(`command menu set: ${menu.map((c) => `/${c.command}`).join(' ')}`);
  const info = await call('getWebhookInfo');
  io.out(`webhook set: ${String(info.url ?? url)}`);
  io.out(`pending updates: ${String(info.pending_update_count ?? 0)}`);
  if (info.last_error_message)
    io.err(`last delivery error reported by Telegram: ${String(info.last_error_message)}`);
  return 0;
}
