import { createInterface } from 'node:readline';
import { describeProvider } from '../agent/provider.js';
import type { TurnResult } from '../agent/types.js';
import type { AppDeps } from '../app/types.js';
import { errorMessage } from '../core/errors.js';
import { conversationKey, conversationKeyString, type ConversationKey } from '../core/keys.js';
import { describeConversation } from '../sessions/conversation-view.js';
import { parseCommandArgs } from './args.js';

export interface ChatIO {
  input: NodeJS.ReadableStream;
  out(text: string): void;
  err(text: string): void;
  interactive: boolean;
}

export const CHAT_HELP = `Usage: omnicloud chat [-m TEXT] [--tenant T] [--chat C] [--thread H] [--json]

Without -m: an interactive chat in the terminal. Commands: /new (fresh session), /debug (session id,
entries, where the history lives), /help, /exit.
With -m: runs one turn of the conversation and prints the reply (--json: the whole result object).
Two invocations on the same conversation continue one session.`;

const CHAT_OPTIONS = {
  message: { type: 'string', short: 'm' },
  tenant: { type: 'string', default: 'default' },
  chat: { type: 'string', default: 'local' },
  thread: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `omnicloud chat`: one turn (-m) or an interactive session. Returns the exit code. */
export async function runChat(argv: string[], io: ChatIO, deps: () => Promise<AppDeps>): Promise<number> {
  const { values } = parseCommandArgs(argv, CHAT_OPTIONS);
  if (values.help) {
    io.out(CHAT_HELP);
    return 0;
  }
  const key = conversationKey({ tenant: values.tenant, chat: values.chat, thread: values.thread });
  const app = await deps();
  try {
    if (values.message !== undefined) {
      const result = await app.runner.runTurn({ key, text: values.message, messageTime: new Date() });
      io.out(values.json ? JSON.stringify(result, null, 2) : formatReply(result));
      return result.is_error ? 1 : 0;
    }
    return await interactive(app, key, io);
  } finally {
    await app.close();
  }
}

function formatReply(result: TurnResult): string {
  return result.is_error ? `error (${result.error_code}): ${result.error_message}` : result.response;
}

async function interactive(app: AppDeps, key: ConversationKey, io: ChatIO): Promise<number> {
  io.err(`omnicloud chat — conversation ${conversationKeyString(key)}`);
  io.err(`model: ${describeProvider(app.provider)}`);
  io.err('type /help for commands, /exit to quit');
  // A person at a terminal: start a process ahead so a new conversation's first answer (and the
  // first after /new) skips the binary's start-up. Nothing depends on it.
  if (io.interactive) app.runner.prewarm?.(key.tenant).catch(() => {});
  const rl = createInterface({ input: io.input, terminal: io.interactive });
  const prompt = (): void => {
    if (io.interactive) process.stdout.write('> ');
  };
  prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') {
      prompt();
      continue;
    }
    if (line === '/exit' || line === '/quit') break;
    try {
      io.out(await handleLine(app, key, line));
    } catch (err) {
      io.err(`error: ${errorMessage(err)}`);
    }
    prompt();
  }
  rl.close();
  return 0;
}

async function handleLine(app: AppDeps, key: ConversationKey, line: string): Promise<string> {
  switch (line) {
    case '/help':
      return CHAT_HELP;
    case '/new':
      await app.runner.resetConversation(key);
      return 'Started a fresh session for this conversation (the previous history stays in the store).';
    case '/debug':
      return debugInfo(app, key);
    default: {
      if (line.startsWith('/') && !line.includes(' ') && !/^\/[\w-]+$/.test(line)) {
        return `unknown command ${line}; try /help`;
      }
      const result = await app.runner.runTurn({ key, text: line, messageTime: new Date() });
      return formatReply(result);
    }
  }
}

async function debugInfo(app: AppDeps, key: ConversationKey): Promise<string> {
  const view = await describeConversation(app.storage, key);
  if (!view)
    return `conversation ${conversationKeyString(key)}: no session yet (the next message starts one)`;
  const { record, main, subagents } = view;
  const live = app.warm.describe(key);
  return [
    `conversation: ${conversationKeyString(key)}`,
    `session id:   ${record.sessionId}`,
    `turns:        ${record.turns}`,
    `entries:      ${main ? `${main.entries} (${main.bytes} bytes)` : 'MISSING from the store'}`,
    `subagents:    ${subagents.length ? subagents.map((s) => s.subpath).join(', ') : 'none'}`,
    `history at:   ${main?.location ?? 'n/a'}`,
    `expires:      ${new Date(record.expiresAt).toISOString()}`,
    `agent:        ${live ? `live process (pid ${live.pid ?? '?'}, idle ${Math.round(live.idleMs / 1000)} s): the next message skips the start-up` : 'no live process (the next message starts one and resumes from the store)'}`,
  ].join('\n');
}
