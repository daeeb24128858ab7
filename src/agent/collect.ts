import type { SDKMessage, SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';

/** What one `query()` produced, reduced to what the runner needs. */
export interface CollectedTurn {
  sessionId: string | null;
  /** The final result message, if the binary got that far. */
  result: {
    isError: boolean;
    subtype: SDKResultMessage['subtype'];
    text: string;
    numTurns: number;
    totalCostUsd: number;
    usage: {
      input_tokens: number;
      output_tokens: number;
      cache_creation_input_tokens: number;
      cache_read_input_tokens: number;
    };
    errors: string[];
    apiErrorStatus: number | null;
    terminalReason: string | null;
    /** The call the turn ended on (`terminalReason` `tool_deferred`): a hook deferred it. */
    deferredToolUse: { id: string; name: string } | null;
  } | null;
  /** Model of the main loop as reported by the init message. */
  model: string | null;
  /** `mirror_error` messages: transcript batches the store did not accept (history not persisted). */
  mirrorErrors: Array<{ error: string; subpath: string | undefined }>;
  /** Text of the last assistant message (used when an error result carries no text). */
  lastAssistantText: string;
  /** What the iterator threw, if anything (after a result it is only the SDK's error echo). */
  thrown: unknown;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function assistantText(message: Extract<SDKMessage, { type: 'assistant' }>): string {
  const content: unknown = message.message.content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: unknown) =>
      typeof block === 'object' &&
      block !== null &&
      'type' in block &&
      block.type === 'text' &&
      'text' in block
        ? String(block.text)
        : '',
    )
    .join('');
}

/** Folds one turn's SDK messages into a `CollectedTurn`, message by message. */
export interface TurnCollector {
  observe(message: SDKMessage): void;
  readonly turn: CollectedTurn;
}

export function createTurnCollector(): TurnCollector {
  const turn: CollectedTurn = {
    sessionId: null,
    result: null,
    model: null,
    mirrorErrors: [],
    lastAssistantText: '',
    thrown: undefined,
  };
  return {
    turn,
    observe(message) {
      if ('session_id' in message && typeof message.session_id === 'string')
        turn.sessionId = message.session_id;
      if (message.type === 'system' && message.subtype === 'init') {
        turn.model = message.model;
      } else if (message.type === 'system' && message.subtype === 'mirror_error') {
        turn.mirrorErrors.push({ error: message.error, subpath: message.key.subpath });
      } else if (message.type === 'assistant' && message.parent_tool_use_id === null) {
        const text = assistantText(message);
        if (text) turn.lastAssistantText = text;
      } else if (message.type === 'result') {
        turn.result = resultOf(message);
      }
    },
  };
}

function resultOf(message: SDKResultMessage): NonNullable<CollectedTurn['result']> {
  const usage = message.usage as unknown as Record<string, unknown>;
  return {
    isError: message.is_error,
    subtype: message.subtype,
    text: message.subtype === 'success' ? message.result : '',
    numTurns: message.num_turns,
    totalCostUsd: num(message.total_cost_usd),
    usage: {
      input_tokens: num(usage.input_tokens),
      output_tokens: num(usage.output_tokens),
      cache_creation_input_tokens: num(usage.cache_creation_input_tokens),
      cache_read_input_tokens: num(usage.cache_read_input_tokens),
    },
    errors: message.subtype === 'success' ? [] : message.errors,
    apiErrorStatus: 'api_error_status' in message ? (message.api_error_status ?? null) : null,
    terminalReason: 'terminal_reason' in message ? (message.terminal_reason ?? null) : null,
    deferredToolUse:
      'deferred_tool_use' in message && message.deferred_tool_use
        ? { id: message.deferred_tool_use.id, name: message.deferred_tool_use.name }
        : null,
  };
}

/** Drain a query iterator (each message also to `onMessage`). Never throws: a throw is recorded in `thrown`. */
export async function collectTurn(
  messages: AsyncIterable<SDKMessage>,
  onMessage?: (message: SDKMessage) => void,
): Promise<CollectedTurn> {
  const collector = createTurnCollector();
  try {
    for await (const message of messages) {
      collector.observe(message);
      onMessage?.(message);
    }
  } catch (err) {
    collector.turn.thrown = err;
  }
  return collector.turn;
}
