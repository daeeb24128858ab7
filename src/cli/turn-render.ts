import type { TurnEvent, TurnResult } from '../agent/types.js';

/** Where the renderer writes, without adding newlines: the answer (stdout) and tool lines and notes (stderr). */
export interface RenderSinks {
  text(chunk: string): void;
  status(chunk: string): void;
}

/**
 * The terminal view of a turn as it runs: text deltas as they arrive, one line per tool call
 * (`🔧 Bash aws ec2 describe-…` then ` ✓`/` ✗`, subagent calls indented under the call that
 * started them), and the final reply only when nothing was streamed. One renderer serves a whole
 * chat; `finish` ends a turn. Both sinks usually reach the same terminal, so it keeps one line state.
 */
export interface TurnRenderer {
  onEvent(event: TurnEvent): void;
  /** Ends the turn: prints the reply if no text was streamed, else closes the line (and reports an error). */
  finish(result: TurnResult): void;
  /** Ends a turn that threw instead of returning a result: closes the line, forgets the turn. */
  abandon(): void;
  /** A line of its own on the status sink (`stopping the turn…`), whatever was being printed. */
  note(line: string): void;
}

const SUMMARY_MAX = 100;

/** The reply as printed when nothing was streamed (and as `-m` printed it before streaming). */
export function formatReply(result: TurnResult): string {
  return result.is_error ? `error (${result.error_code}): ${result.error_message}` : result.response;
}

/** One terminal line of a summary the model wrote: no control characters, at most `SUMMARY_MAX`. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > SUMMARY_MAX ? `${flat.slice(0, SUMMARY_MAX - 1)}…` : flat;
}

export function createTurnRenderer(sinks: RenderSinks): TurnRenderer {
  let atLineStart = true;
  let lastSink: 'text' | 'status' = 'text';
  let owedNewline = false; // a text line was ended for a tool line: the next delta's leading '\n' is spent
  let openTool: string | null = null; // the tool whose line awaits its ✓/✗
  let streamed = false;
  const tools = new Map<string, { name: string; depth: number }>();

  const write = (sink: 'text' | 'status', chunk: string): void => {
    if (chunk === '') return;
    sinks[sink](chunk);
    atLineStart = chunk.endsWith('\n');
    lastSink = sink;
  };
  const forget = (): void => {
    streamed = false;
    owedNewline = false;
    tools.clear();
  };
  /** Ends the current line on the sink that began it (so stdout holds the answer's own line breaks). */
  const newline = (): void => {
    if (!atLineStart) {
      if (lastSink === 'text') owedNewline = true;
      write(lastSink, '\n');
    }
    openTool = null;
  };

  return {
    onEvent(event) {
      switch (event.type) {
        case 'text': {
          if (event.delta === '') return;
          if (openTool !== null) newline();
          const delta = owedNewline && event.delta.startsWith('\n') ? event.delta.slice(1) : event.delta;
          owedNewline = false;
          streamed = true;
          write('text', delta);
          return;
        }
        case 'tool_start': {
          const depth = event.parentId === null ? 0 : (tools.get(event.parentId)?.depth ?? 0) + 1;
          tools.set(event.id, { name: event.name, depth });
          newline();
          const label = event.subagent ? `${event.name} → ${oneLine(event.subagent)}` : event.name;
          write('status', `${'  '.repeat(depth)}🔧 ${label} ${oneLine(event.summary)}`.trimEnd());
          openTool = event.id;
          return;
        }
        case 'tool_end': {
          const mark = event.isError ? '✗' : '✓';
          const tool = tools.get(event.id);
          if (openTool === event.id) write('status', ` ${mark}\n`);
          else if (tool) {
            newline();
            write('status', `${'  '.repeat(tool.depth)}${mark} ${tool.name}\n`);
          }
          openTool = null;
          return;
        }
        case 'model_wait':
          newline();
          write(
            'status',
            `⏳ waiting for model capacity (${Math.max(1, Math.ceil(event.waitMs / 1000))} s)\n`,
          );
          return;
        case 'turn_started':
        case 'tool_progress':
          return; // nothing to show: the tool's line is already there
      }
    },
    finish(result) {
      if (!streamed) {
        newline();
        // A turn that paused for an approval before writing anything has no reply line to print.
        if (result.response !== '' || !result.pending_approval) write('text', `${formatReply(result)}\n`);
      } else {
        if (openTool !== null || !atLineStart) {
          openTool = null;
          write('text', '\n');
        }
        if (result.is_error) write('text', `${formatReply(result)}\n`);
      }
      forget();
    },
    abandon() {
      newline();
      forget();
    },
    note(line) {
      newline();
      write('status', `${line}\n`);
    },
  };
}
