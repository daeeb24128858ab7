import { createInterface } from 'node:readline';
import { describeProvider } from '../agent/provider.js';
import type { TurnRequest, TurnResult } from '../agent/types.js';
import type { WarmPool } from '../agent/warm/pool.js';
import type { AppDeps } from '../app/types.js';
import { errorMessage } from '../core/errors.js';
import type { ResolvedTenants } from '../tenants/types.js';
import { conversationKey, conversationKeyString, type ConversationKey } from '../core/keys.js';
import {
  approveCommandHint,
  askDecision,
  cliDecider,
  EXIT_PENDING_APPROVAL,
  formatPendingApproval,
} from './approval-prompt.js';
import { parseCommandArgs } from './args.js';
import { attachFiles, localFile, sentFileLines, type LocalFile } from './attach.js';
import { debugInfo } from './chat-debug.js';
import { createTurnControl, type InterruptSource, type TurnHandle } from './turn-control.js';
import { createTurnRenderer, type TurnRenderer } from './turn-render.js';

export interface ChatIO {
  input: NodeJS.ReadableStream;
  /** A line on stdout / stderr. */
  out(text: string): void;
  err(text: string): void;
  /** Raw writes (no newline added) on stdout / stderr, for the streamed answer and tool lines. */
  write(chunk: string): void;
  writeErr(chunk: string): void;
  interactive: boolean;
  /** Ctrl-C of the interactive chat (default: readline's `SIGINT` when `interactive`). */
  interrupts?: InterruptSource;
}

/** What the chat uses of the app (`AppDeps` has it all; `tenants` gives their file policies). */
export type ChatDeps = Pick<AppDeps, 'runner' | 'storage' | 'provider' | 'close'> & {
  warm: Pick<WarmPool, 'describe'>;
  tenants?: Pick<ResolvedTenants, 'tenants'>;
  /** Lines the interactive chat shows under its model line (`npm start`: the web console's address). */
  banner?: readonly string[];
};

export const CHAT_HELP = `Usage: omnicloud chat [-m TEXT] [--file PATH]... [--tenant T] [--chat C] [--thread H] [--json]

Without -m: an interactive chat in the terminal. The answer is printed as it is written, with a line
per tool call (🔧 name and input, then ✓ or ✗; subagent calls indented). Ctrl-C while a turn runs
asks it to stop (what it answered so far is kept); a second Ctrl-C, or Ctrl-C between turns, quits.
Commands: /new (fresh session), /debug (session id, entries, where the history lives), /help, /exit,
/file PATH (send that file with your next message; repeat for several).
--file PATH (repeatable) sends files with the -m message, or with the first message of the chat:
images reach the model as images, other files are saved in the conversation's folder and the agent is
told where. Files the agent sends back are listed as 📎 lines with their path on this machine.
When the agent wants to run a tool call that needs approval, the chat shows the call (tool, what it
runs, the rule "always" grants, the deadline) and asks: y = allow once, a = allow this rule for the
rest of the conversation, n = deny (any case; anything else asks again). The turn then continues and
may ask again. If the input ends (EOF) or Ctrl-C is pressed at the question, nothing runs and the
request stays pending: decide later with omnicloud approve, or send a message (which refuses it).
With -m: runs one turn of the conversation and streams the reply the same way (the answer on stdout,
tool lines on stderr); --json prints only the whole result object once the turn ends.
Exit codes with -m: 0 answered, 1 the turn failed, 3 the turn waits for an approval (the request and
its id are printed on stderr; with --json it is the result's pending_approval): decide with
omnicloud approve ID allow_once|allow_conversation|deny [--tenant T].
Two invocations on the same conversation continue one session.`;

const CHAT_OPTIONS = {
  message: { type: 'string', short: 'm' },
  tenant: { type: 'string', default: 'default' },
  chat: { type: 'string', default: 'local' },
  thread: { type: 'string' },
  json: { type: 'boolean', default: false },
  file: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `omnicloud chat`: one turn (-m) or an interactive session. Returns the exit code. */
export async function runChat(argv: string[], io: ChatIO, deps: () => Promise<ChatDeps>): Promise<number> {
  const { values } = parseCommandArgs(argv, CHAT_OPTIONS);
  if (values.help) {
    io.out(CHAT_HELP);
    return 0;
  }
  const key = conversationKey({ tenant: values.tenant, chat: values.chat, thread: values.thread });
  // Every --file is checked before anything starts: a typo costs no agent start-up.
  const files: LocalFile[] = [];
  for (const path of values.file ?? []) files.push(await localFile(path));
  const app = await deps();
  try {
    if (values.message !== undefined) {
      const attachments = await attachFiles(attachDeps(app), key, files);
      const result = values.json
        ? await app.runner.runTurn({
            key,
            text: values.message,
            messageTime: new Date(),
            requestedBy: cliDecider(),
            ...(attachments.length > 0 ? { attachments } : {}),
          })
        : await liveTurn(app, key, { text: values.message, attachments }, rendererFor(io));
      if (values.json) io.out(JSON.stringify(result, null, 2));
      else for (const line of await sentFileLines(app.runner, key, result.files)) io.err(line);
      return exitCodeOf(result, io, key.tenant, !values.json);
    }
    return await interactive(app, key, io, files);
  } finally {
    await app.close();
  }
}

/**
 * Exit code of a one-shot turn: 0 answered, 1 failed, `EXIT_PENDING_APPROVAL` waiting for a
 * decision (printed with how to decide unless the result was printed as JSON).
 */
export function exitCodeOf(result: TurnResult, io: ChatIO, tenant: string, show: boolean): number {
  if (result.is_error) return 1;
  if (!result.pending_approval) return 0;
  if (show) {
    io.err(formatPendingApproval(result.pending_approval));
    io.err(approveCommandHint(result.pending_approval, tenant));
  }
  return EXIT_PENDING_APPROVAL;
}

const attachDeps = (app: ChatDeps) => ({
  runner: app.runner,
  files: app.storage.files,
  tenants: app.tenants,
});

export const rendererFor = (io: ChatIO): TurnRenderer =>
  createTurnRenderer({ text: (chunk) => io.write(chunk), status: (chunk) => io.writeErr(chunk) });

/**
 * One turn printed as it runs — a message (`text`) or a decision continuing a deferred call
 * (`approval`, `text` empty); `handle` (interactive chat) lets Ctrl-C stop or abort it.
 */
export async function liveTurn(
  app: Pick<ChatDeps, 'runner'>,
  key: ConversationKey,
  turn: Pick<TurnRequest, 'text' | 'approval' | 'requestId' | 'attachments'>,
  renderer: TurnRenderer,
  handle?: TurnHandle,
): Promise<TurnResult> {
  const { attachments, ...rest } = turn;
  const result = await app.runner
    .runTurn({
      key,
      ...rest,
      ...(attachments?.length ? { attachments } : {}),
      messageTime: new Date(),
      requestedBy: cliDecider(),
      ...(handle ? { signal: handle.signal } : {}),
      onEvent(event) {
        if (event.type === 'turn_started') handle?.started(event.turn);
        renderer.onEvent(event);
      },
    })
    .catch((err: unknown) => {
      renderer.abandon();
      throw err;
    });
  renderer.finish(result);
  return result;
}

async function interactive(
  app: ChatDeps,
  key: ConversationKey,
  io: ChatIO,
  initialFiles: LocalFile[],
): Promise<number> {
  io.err(`omnicloud chat — conversation ${conversationKeyString(key)}`);
  io.err(`model: ${describeProvider(app.provider)}`);
  for (const line of app.banner ?? []) io.err(line);
  io.err('type /help for commands, /exit to quit');
  // A person at a terminal: start a process ahead so a new conversation's first answer (and the
  // first after /new) skips the binary's start-up. Nothing depends on it.
  if (io.interactive) app.runner.prewarm?.(key.tenant).catch(() => {});
  const rl = createInterface({ input: io.input, terminal: io.interactive });
  const prompt = (): void => {
    if (io.interactive) io.write('> ');
  };
  const renderer = rendererFor(io);
  const control = createTurnControl({
    interrupts: io.interrupts ?? (io.interactive ? readlineInterrupts(rl) : () => () => {}),
    stops: app.storage.leases,
    key,
    say: (line) => renderer.note(line),
    quit: () => rl.close(),
  });
  const lines = rl[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | null> => {
    const next = await lines.next();
    return next.done ? null : String(next.value);
  };
  // Files for the next message (--file, /file): stored when it is sent, then forgotten.
  let pendingFiles = [...initialFiles];
  const showSent = async (result: TurnResult): Promise<void> => {
    for (const line of await sentFileLines(app.runner, key, result.files)) renderer.note(line);
  };
  const converse = async (text: string): Promise<void> => {
    // Forgotten even when refused: the next message does not trip over the same file again.
    const files = pendingFiles;
    pendingFiles = [];
    const attachments = await attachFiles(attachDeps(app), key, files);
    let result = await control.run((handle) => liveTurn(app, key, { text, attachments }, renderer, handle));
    await showSent(result);
    for (let pending = result.pending_approval; pending; pending = result.pending_approval) {
      const decision = await askDecision(pending, key.tenant, {
        nextLine,
        ask: (question) => io.writeErr(question),
        note: (line) => renderer.note(line),
      });
      if (decision === null) return;
      const approval = { id: pending.id, decision, by: cliDecider() };
      result = await control.run((handle) => liveTurn(app, key, { text: '', approval }, renderer, handle));
      await showSent(result);
    }
  };
  prompt();
  for (let raw = await nextLine(); raw !== null; raw = await nextLine()) {
    const line = raw.trim();
    if (line === '') {
      prompt();
      continue;
    }
    if (line === '/exit' || line === '/quit') break;
    try {
      if (line === '/file' || line.startsWith('/file ')) {
        const file = await localFile(line.slice('/file'.length).trim(), '/file');
        pendingFiles.push(file);
        io.out(
          `${file.name} will be sent with your next message (${pendingFiles.length} file${pendingFiles.length === 1 ? '' : 's'})`,
        );
        prompt();
        continue;
      }
      const reply = await handleLine(app, key, line);
      if (reply === null) await converse(line);
      else io.out(reply);
    } catch (err) {
      io.err(`error: ${errorMessage(err)}`);
    }
    prompt();
  }
  control.close();
  rl.close();
  return 0;
}

/** Ctrl-C in a terminal: readline reports it as `SIGINT` (the tty is in raw mode, no signal reaches the process). */
const readlineInterrupts =
  (rl: ReturnType<typeof createInterface>): InterruptSource =>
  (onInterrupt) => {
    rl.on('SIGINT', onInterrupt);
    return () => rl.off('SIGINT', onInterrupt);
  };

/** A command's reply, or `null` when the line is a message for the agent. */
async function handleLine(app: ChatDeps, key: ConversationKey, line: string): Promise<string | null> {
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
      return null;
    }
  }
}
