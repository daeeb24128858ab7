import type { MessageEntity } from 'grammy/types';
import type { TurnEvent } from '../../../agent/types.js';
import { TELEGRAM_TEXT_LIMIT } from '../format.js';
import { clipHead } from './clip.js';

/** A status message's content: plain text with `code` entities (no parse mode, so never a parse error). */
export interface StatusText {
  text: string;
  entities: MessageEntity[];
}

/** The tool calls of one turn, as the live status message shows them. */
export interface StatusBoard {
  /** Take a tool event (others are ignored); `true` when the view changed. */
  apply(event: TurnEvent, now: number): boolean;
  /** One line per call (subagent calls under their subagent), plus the stall notice if any. */
  render(now: number, stalledMs?: number): StatusText;
  /** The compact line left once the turn is over, or undefined when there was no tool call. */
  summary(): StatusText | undefined;
  /** The turn ended waiting for a person to approve a call: its unfinished calls did not run. */
  awaitApproval(): void;
  readonly size: number;
}

interface ToolCall {
  id: string;
  name: string;
  summary: string;
  parentId: string | null;
  subagent?: string;
  startedAt: number;
  endedAt?: number;
  isError?: boolean;
  elapsedS?: number;
  /** Deferred: waits for a person's decision (not run). */
  waiting?: boolean;
}

const SUMMARY_CHARS = 60;
/** Room left for the header and the stall line. */
const BODY_LIMIT = TELEGRAM_TEXT_LIMIT - 200;

export function createStatusBoard(): StatusBoard {
  const calls = new Map<string, ToolCall>();

  const seconds = (call: ToolCall, now: number): number =>
    call.endedAt !== undefined
      ? Math.round((call.endedAt - call.startedAt) / 1000)
      : Math.max(call.elapsedS ?? 0, Math.floor((now - call.startedAt) / 1000));

  /** Calls in start order, each followed by the calls made inside it (a subagent's), with depth. */
  const ordered = (): Array<{ call: ToolCall; depth: number }> => {
    const out: Array<{ call: ToolCall; depth: number }> = [];
    const visit = (parent: string | null, depth: number): void => {
      for (const call of calls.values()) {
        const top = call.parentId === null || !calls.has(call.parentId);
        if ((parent === null && top) || (parent !== null && call.parentId === parent)) {
          out.push({ call, depth });
          if (depth < 4) visit(call.id, depth + 1);
        }
      }
    };
    visit(null, 0);
    return out;
  };

  const line = (call: ToolCall, depth: number, now: number): Line => {
    const icon = call.endedAt === undefined ? '🔧' : call.isError ? '❌' : '✅';
    const label = call.subagent ? `🤖 ${call.subagent}` : call.name;
    // A call whose subagent is not on the board (started before the view): say where it runs.
    const orphan = call.parentId !== null && depth === 0 ? ' (subagent)' : '';
    const prefix = `${'    '.repeat(depth)}${depth > 0 ? '↳ ' : ''}${icon} ${label}${orphan} `;
    const code = clipHead(call.summary, SUMMARY_CHARS);
    return { prefix, code, suffix: `${code ? ' ' : ''}${seconds(call, now)} s` };
  };

  return {
    get size() {
      return calls.size;
    },
    awaitApproval() {
      for (const call of calls.values()) if (call.endedAt === undefined) call.waiting = true;
    },
    apply(event, now) {
      switch (event.type) {
        case 'tool_start':
          calls.set(event.id, {
            id: event.id,
            name: event.name,
            summary: event.summary,
            parentId: event.parentId,
            ...(event.subagent ? { subagent: event.subagent } : {}),
            startedAt: now,
          });
          return true;
        case 'tool_end': {
          const call = calls.get(event.id);
          if (!call || call.endedAt !== undefined) return false;
          call.endedAt = now;
          call.isError = event.isError;
          return true;
        }
        case 'tool_progress': {
          const call = calls.get(event.id);
          if (!call || call.endedAt !== undefined) return false;
          call.elapsedS = event.elapsedS;
          return true;
        }
        default:
          return false;
      }
    },
    render(now, stalledMs) {
      const lines = ordered().map(({ call, depth }) => line(call, depth, now));
      // Too many calls for one message: keep the newest, say how many are hidden.
      let size = 0;
      let first = lines.length;
      while (first > 0 && size + lineLength(lines[first - 1] as Line) + 1 <= BODY_LIMIT) {
        first--;
        size += lineLength(lines[first] as Line) + 1;
      }
      const shown: Line[] = lines.slice(first);
      if (first > 0) shown.unshift({ prefix: `… ${first} earlier tool calls`, code: '', suffix: '' });
      if (stalledMs !== undefined) {
        const s = Math.max(1, Math.ceil(stalledMs / 1000));
        shown.push({ prefix: `⏳ no progress for ${s} s — tap Stop to cancel`, code: '', suffix: '' });
      }
      return assemble(shown);
    },
    summary() {
      if (calls.size === 0) return undefined;
      const all = [...calls.values()];
      const failed = all.filter((c) => c.isError).length;
      const waiting = all.filter((c) => c.endedAt === undefined && c.waiting).length;
      const unfinished = all.filter((c) => c.endedAt === undefined && !c.waiting).length;
      const start = Math.min(...all.map((c) => c.startedAt));
      const end = Math.max(...all.map((c) => c.endedAt ?? c.startedAt));
      const counts = new Map<string, number>();
      for (const c of all) {
        const label = c.subagent ? `🤖 ${c.subagent}` : c.name;
        counts.set(label, (counts.get(label) ?? 0) + 1);
      }
      const names = [...counts].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
      const icon = failed > 0 || unfinished > 0 ? '⚠️' : waiting > 0 ? '⏸' : '✅';
      const noun = all.length === 1 ? 'tool call' : 'tool calls';
      const extra = [
        failed ? `${failed} failed` : '',
        unfinished ? `${unfinished} unfinished` : '',
        waiting ? `${waiting} waiting for approval` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const text = `${icon} ${all.length} ${noun}${extra ? ` (${extra})` : ''} in ${Math.round((end - start) / 1000)} s: ${names}`;
      return { text: clipHead(text, TELEGRAM_TEXT_LIMIT), entities: [] };
    },
  };
}

interface Line {
  prefix: string;
  /** Shown as inline code (the call's input summary); may be empty. */
  code: string;
  suffix: string;
}

function lineLength(l: Line): number {
  return l.prefix.length + l.code.length + l.suffix.length;
}

function assemble(lines: Line[]): StatusText {
  let text = '';
  const entities: MessageEntity[] = [];
  for (const [i, l] of lines.entries()) {
    if (i > 0) text += '\n';
    text += l.prefix;
    if (l.code) {
      entities.push({ type: 'code', offset: text.length, length: l.code.length });
      text += l.code;
    }
    text += l.suffix;
  }
  return { text: text.trimEnd(), entities };
}
