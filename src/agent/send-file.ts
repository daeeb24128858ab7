import {
  createSdkMcpServer,
  tool,
  type McpSdkServerConfigWithInstance,
  type SdkMcpToolDefinition,
} from '@anthropic-ai/claude-agent-sdk';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { ConversationKey } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import { FileRefusedError } from '../files/errors.js';
import { ingestFile } from '../files/ingest.js';
import { formatBytes } from '../files/policy.js';
import {
  FILE_KINDS,
  MAX_SEND_BYTES,
  type FilePolicy,
  type FileStore,
  type SentFile,
} from '../files/types.js';
import { openSendable } from './send-file-path.js';

/**
 * `send_file`: the agent sends a file of the conversation's folder to the user (issue 15). An
 * in-process MCP server `omnicloud` offers it (`mcp__omnicloud__send_file`); a sent file is stored
 * durably as an `out` file and listed in the turn's `TurnResult.files`, which front ends deliver.
 *
 * An MCP server instance serves one connection, so every agent process gets its own (`server`),
 * bound to the session the process runs. The tool finds the turn running in that session in a
 * registry (`begin`), like the approval gate's hook: a live process serves many turns.
 */

export const OMNICLOUD_MCP_SERVER = 'omnicloud';
/** The tool's full name, as allowed in `allowedTools` and the approvals policy. */
export const SEND_FILE_TOOL = `mcp__${OMNICLOUD_MCP_SERVER}__send_file`;
/** Telegram's caption limit. */
export const MAX_CAPTION_CHARS = 1024;
/** Files one turn may send (a turn's result, with its files, is kept in the turn ledger). */
export const MAX_FILES_PER_TURN = 20;
/** Characters of the path the agent gives (Linux's PATH_MAX). */
const MAX_SEND_PATH_CHARS = 4096;

/** `send_file`'s input, as the SDK validates it before the tool runs. */
export const SEND_FILE_INPUT = {
  path: z
    .string()
    .max(MAX_SEND_PATH_CHARS)
    .describe("The file: relative to the conversation's files folder, or absolute inside it"),
  caption: z.string().max(MAX_CAPTION_CHARS).optional().describe('Text shown with the file'),
};

/** Anything may be sent, up to the Bot API's upload limit. */
const SEND_POLICY: FilePolicy = { maxBytes: MAX_SEND_BYTES, allow: FILE_KINDS };

type ToolResult = Awaited<ReturnType<SdkMcpToolDefinition['handler']>>;

/** The turn running in a session, as `send_file` sees it. */
export interface OutboxTurn {
  key: ConversationKey;
  /** The conversation's folder (`conversationFilesDir`): the only place files are sent from. */
  dir: string;
  /** Files sent in this turn, in order (the tool appends). */
  files: SentFile[];
}

export interface FileOutbox {
  /** The `omnicloud` MCP server for one agent process running `sessionId` (a new instance each call). */
  server(sessionId: string): McpSdkServerConfigWithInstance;
  /** Registers the turn now running in `sessionId`; the returned function ends it. */
  begin(sessionId: string, turn: OutboxTurn): () => void;
}

const DESCRIPTION =
  'Send a file to the user in this chat (images arrive as photos, other files as documents). ' +
  "`path`: a file in this conversation's files folder, where the files the user sent are " +
  '(the <attachment path="…"> notes show it); a relative path is resolved against that folder. ' +
  `Write or copy the file there first. At most ${formatBytes(MAX_SEND_BYTES)}. ` +
  `\`caption\`: optional text shown with the file (at most ${MAX_CAPTION_CHARS} characters).`;

export function createFileOutbox(deps: { store: FileStore; logger: Logger; clock?: Clock }): FileOutbox {
  const turns = new Map<string, OutboxTurn>();
  const log = deps.logger;

  async function send(
    sessionId: string,
    args: { path: string; caption?: string | undefined },
  ): Promise<ToolResult> {
    const turn = turns.get(sessionId);
    if (!turn) {
      log.warn('send_file called outside a known turn; nothing sent');
      return refused('no reply is in progress in this conversation, so nothing can be sent now');
    }
    if (turn.files.length >= MAX_FILES_PER_TURN) {
      return refused(`at most ${MAX_FILES_PER_TURN} files can be sent in one reply; nothing was sent`);
    }
    const caption = args.caption?.trim() || undefined;
    if (caption !== undefined && caption.length > MAX_CAPTION_CHARS) {
      return refused(`the caption is ${caption.length} characters; the most is ${MAX_CAPTION_CHARS}`);
    }
    const opened = await openSendable(turn.dir, args.path, MAX_SEND_BYTES);
    if (!opened.ok) return refused(opened.reason);
    try {
      const { file } = await ingestFile(deps.store, {
        key: turn.key,
        direction: 'out',
        name: opened.name,
        body: opened.handle.createReadStream(),
        policy: SEND_POLICY,
        dir: turn.dir,
        ...(deps.clock ? { clock: deps.clock } : {}),
      });
      const sent: SentFile = caption === undefined ? file : { ...file, caption };
      turn.files.push(sent);
      log.info('file sent by the agent', { file: file.id, kind: file.kind, size: file.size });
      return {
        content: [
          {
            type: 'text',
            text: `Sent ${file.name} (${formatBytes(file.size)}) to the user${caption === undefined ? '' : ' with the caption'}.`,
          },
        ],
      };
    } catch (err) {
      if (err instanceof FileRefusedError) return refused(`${err.message}; nothing was sent`);
      log.error('send_file: storing the file failed', { error: errorMessage(err) });
      return refused(`the file could not be stored, so nothing was sent (${errorMessage(err)})`);
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
  }

  return {
    server(sessionId) {
      return createSdkMcpServer({
        name: OMNICLOUD_MCP_SERVER,
        version: '1.0.0',
        // Deferred (found through ToolSearch; the binary names it to the model among the deferred
        // tools): described in every request, it cost a warm turn ~6–10 ms before the model was
        // asked (docs/benchmarks.md §6, issue 15 rerun); one more round trip when a file is sent.
        alwaysLoad: false,
        tools: [tool('send_file', DESCRIPTION, SEND_FILE_INPUT, (args) => send(sessionId, args))],
      });
    },
    begin(sessionId, turn) {
      turns.set(sessionId, turn);
      return () => {
        if (turns.get(sessionId) === turn) turns.delete(sessionId);
      };
    },
  };
}

function refused(text: string): ToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
