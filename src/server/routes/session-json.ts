import type { SessionDetail, SessionView, SettingsView } from '../../conversations/types.js';
import type { SessionInfo, TranscriptStat } from '../../sessions/types.js';

/** How the session and settings routes show things: snake_case fields, ISO-8601 UTC times. */

const iso = (ms: number): string => new Date(ms).toISOString();

export const statJson = (stat: TranscriptStat): Record<string, unknown> => ({
  entries: stat.entries,
  bytes: stat.bytes,
  mtime: iso(stat.mtime),
  location: stat.location,
});

/** A catalog entry: which conversation, when, how much, and until when its history is kept. */
export function sessionInfoJson(info: SessionInfo): Record<string, unknown> {
  return {
    session_id: info.sessionId,
    tenant: info.key.tenant,
    chat: info.key.chat,
    thread: info.key.thread,
    title: info.title,
    turns: info.turns,
    cost_usd: info.costUsd,
    model: info.model,
    origin: info.origin,
    created_at: iso(info.createdAt),
    updated_at: iso(info.updatedAt),
    history_until: iso(info.historyUntil),
  };
}

/**
 * A listed session. `current` is left out of a tenant-wide listing (`withCurrent: false`): that
 * listing does not read the conversations' maps, so it cannot say which session each one is on.
 */
export function sessionJson(view: SessionView, withCurrent = true): Record<string, unknown> {
  return {
    ...sessionInfoJson(view),
    ...(withCurrent ? { current: view.current } : {}),
    history: view.history,
  };
}

export function sessionDetailJson(detail: SessionDetail): Record<string, unknown> {
  return {
    session: sessionJson(detail.session),
    transcript: detail.main ? statJson(detail.main) : null,
    subagents: detail.subagents.map(({ subpath, stat }) => ({
      subpath,
      ...(stat ? statJson(stat) : { entries: 0, bytes: 0 }),
    })),
  };
}

/**
 * A conversation's settings: the chosen alias/agent (`null`: the tenant's default), the model id
 * the alias runs as (`null` when unset or stale), what may be chosen, and which settings name
 * something the tenant no longer has (turns then run with the default).
 */
export function settingsJson(view: SettingsView): Record<string, unknown> {
  const { settings, choices, stale } = view;
  const model = settings.model ?? null;
  return {
    model,
    model_id: model !== null && !stale.includes('model') ? (choices.models[model] ?? null) : null,
    agent: settings.agent ?? null,
    stale,
    choices: {
      models: { ...choices.models },
      default_model: choices.defaultModel ?? null,
      agents: [...choices.agents],
    },
  };
}
