/** The reading of a stored transcript (entries.ts) that the renderer (markdown.ts) works from. */

/** One piece of a message as a person sees it. */
export type Part =
  | { type: 'text'; text: string }
  /** A one-line stand-in for content that is not text: `image: image/png, 70 B`. */
  | { type: 'placeholder'; text: string }
  /** A file the user sent, from our `<attachment …/>` note: its name, then type, size and note. */
  | { type: 'attachment'; name: string; details: string[]; path: string | undefined }
  /** A slash command the user ran (`/compact`). */
  | { type: 'command'; text: string }
  | { type: 'thinking'; text: string; redacted: boolean }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export type TranscriptItem =
  | { kind: 'user'; time: string | undefined; parts: Part[] }
  | { kind: 'assistant'; time: string | undefined; model: string | undefined; error: boolean; parts: Part[] }
  | { kind: 'interrupted'; time: string | undefined }
  /** What a slash command printed (the binary records it as a user entry). */
  | { kind: 'command_output'; time: string | undefined; text: string }
  | { kind: 'compacted'; time: string | undefined }
  | { kind: 'compact_summary'; time: string | undefined; text: string };

/** A tool call's outcome, from the `tool_result` block of a later user entry. */
export interface ToolResult {
  text: string;
  isError: boolean;
  /** The subagent the call ran (`toolUseResult.agentId` of an Agent/Task call), if any. */
  agentId?: string;
}

export interface ReadTranscript {
  items: TranscriptItem[];
  results: Map<string, ToolResult>;
  /** From the subagent stream's own `agent_metadata` entry: the call that started it. */
  agent?: { toolUseId?: string; agentType?: string; description?: string; model?: string };
}
