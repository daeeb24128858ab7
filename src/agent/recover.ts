import type { SessionStoreEntry } from '../sessions/types.js';

/** The final reply of a stored turn, read back from its transcript entries. */
export interface RecoveredReply {
  text: string;
  model: string | null;
}

interface MessageShape {
  role?: unknown;
  model?: unknown;
  content?: unknown;
  stop_reason?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function blocks(message: MessageShape): Array<Record<string, unknown>> {
  return Array.isArray(message.content) ? message.content.filter(isObject) : [];
}

/**
 * The reply of a turn whose entries (`{type:'assistant', message:{content:[{type:'text',text}]}}`,
 * the SDK's transcript shape) were stored: the text of the last main-chain assistant message, if
 * the turn ended there. `null` when the turn did not finish in what was stored — no assistant
 * message, or the last one asked for a tool (or a tool result follows it), or it has no text.
 * Entries of one API message may be split over several entries sharing `message.id`; their text
 * blocks are joined in order.
 */
export function recoverReply(entries: readonly SessionStoreEntry[]): RecoveredReply | null {
  const chain = entries.filter(
    (e) => (e.type === 'assistant' || e.type === 'user') && e.isSidechain !== true && isObject(e.message),
  );
  const last = chain.at(-1);
  if (!last || last.type !== 'assistant') return null;
  const lastMessage = last.message as MessageShape & { id?: unknown };
  const id = typeof lastMessage.id === 'string' ? lastMessage.id : undefined;
  const parts: MessageShape[] = [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const e = chain[i]!;
    const m = e.message as MessageShape & { id?: unknown };
    if (e.type !== 'assistant') break;
    if (parts.length > 0 && (id === undefined || m.id !== id)) break;
    parts.unshift(m);
  }
  if (parts.some((m) => blocks(m).some((b) => b.type === 'tool_use') || m.stop_reason === 'tool_use')) {
    return null;
  }
  const text = parts
    .flatMap((m) => blocks(m))
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('');
  if (text.trim() === '') return null;
  const model = typeof lastMessage.model === 'string' ? lastMessage.model : null;
  return { text, model };
}
