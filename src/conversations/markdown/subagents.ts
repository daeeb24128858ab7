import type { ReadTranscript, ToolResult } from './types.js';

/** `agent-<id>` of `subagents/agent-<id>` (any other subpath as it is). */
export function subagentName(subpath: string): string {
  return subpath.replace(/^subagents\//, '') || subpath;
}

/** A subagent stream as the linking rule sees it: its name (`agent-<id>`) and what was read of it. */
export interface NamedStream {
  readonly name: string;
  readonly read: ReadTranscript | null;
}

/**
 * Which subagent stream each Agent/Task call started, by the call's tool_use id: the stream's own
 * `agent_metadata` names the call (`toolUseId`); failing that, the call's result names the agent
 * (`toolUseResult.agentId`, looked up in `results`: the results of the streams that made calls).
 * The one rule the Markdown export, the console's transcript and its chat history share.
 */
export function linkSubagents<S extends NamedStream>(
  streams: readonly S[],
  results: Iterable<readonly [string, ToolResult]>,
): Map<string, S> {
  const byCall = new Map<string, S>();
  const byName = new Map<string, S>();
  for (const stream of streams) {
    byName.set(stream.name, stream);
    const toolUseId = stream.read?.agent?.toolUseId;
    if (toolUseId !== undefined) byCall.set(toolUseId, stream);
  }
  for (const [callId, result] of results) {
    const stream = result.agentId === undefined ? undefined : byName.get(`agent-${result.agentId}`);
    if (stream && !byCall.has(callId)) byCall.set(callId, stream);
  }
  return byCall;
}
