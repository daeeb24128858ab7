import type { SessionEntry, SettingsInfo } from './types.js';

/**
 * What `/sessions`, its buttons, `/model`, `/agent` and `/debug`'s settings part say (plain text,
 * no parse mode: titles are the users' own words and are shown as they are, on one line).
 */

/** `3 min ago`, `5 h ago` within a day; `1 Dec 14:05 UTC` this year; `2 Nov 2025` before. */
export function when(at: number, now: number): string {
  const ago = now - at;
  if (ago < 60_000) return 'just now';
  if (ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  if (ago < 86_400_000) return `${Math.floor(ago / 3_600_000)} h ago`;
  return new Date(at).getUTCFullYear() === new Date(now).getUTCFullYear() ? dateTime(at) : date(at);
}

/** `1 Dec 14:05 UTC`. */
export function dateTime(at: number): string {
  const d = new Date(at);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.toISOString().slice(11, 16)} UTC`;
}

/** `2 Nov 2025`. */
function date(at: number): string {
  const d = new Date(at);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A title on one line, cut to `max` characters with `…`; a session without one is named by its id. */
export function titleOf(session: Pick<SessionEntry, 'title' | 'sessionId'>, max: number): string {
  const line = session.title.replace(/\s+/g, ' ').trim();
  if (!line) return `(untitled session ${session.sessionId.slice(0, 8)})`;
  const chars = [...line];
  return chars.length <= max
    ? line
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

const turns = (n: number): string => `${n} turn${n === 1 ? '' : 's'}`;

/** One session of the list: `2. 5 h ago · 3 turns · $0.0040 · current` and its title below. */
export function sessionLine(s: SessionEntry, index: number, now: number, titleMax = 100): string {
  const state = s.current
    ? ' · current'
    : s.history === 'expired'
      ? ' · expired'
      : s.history === 'missing'
        ? ' · deleted'
        : '';
  return `${s.current ? '▶' : `${index}.`} ${when(s.updatedAt, now)} · ${turns(s.turns)} · $${s.costUsd.toFixed(4)}${state}\n   ${titleOf(s, titleMax)}`;
}

export const conversationTexts = {
  unavailable: 'Session and model management is not available in this deployment.',
  sessionsNone: 'No sessions yet in this conversation: send a message to start one.',
  sessionsHeader: 'Sessions in this conversation (newest first):',
  sessionsFresh: 'Now: a fresh session (nothing asked since /new); the next message starts it.',
  sessionsHint: 'Tap a button to continue an earlier session; /new starts a fresh one.',
  sessionsNoneSwitchable: 'No earlier session here can be continued.',
  switchButton: (s: SessionEntry): string => `↩ ${titleOf(s, 32)}`,
  switched: (s: SessionEntry): string =>
    `Continuing the session from ${dateTime(s.updatedAt)}: ${titleOf(s, 120)} (${turns(s.turns)}). ` +
    'Your next message continues it.',
  switchUnchanged: (s: SessionEntry): string =>
    `This conversation is already on that session (${titleOf(s, 60)}): nothing changed.`,
  switchNotFound:
    "That session is not one of this conversation's (another chat or topic's, or deleted): nothing changed.",
  switchExpired:
    "That session's history has expired (it is kept 25 days after its last turn), so it can't be " +
    'continued: nothing changed. Send /sessions to see the ones that can.',
  switchMissing: "That session's history was deleted, so it can't be continued: nothing changed.",
  switchInvalid: 'That button does not name a session: nothing changed.',
  settingsUnreadable: 'Model and agent settings could not be read just now.',
} as const;

/** `sonnet (claude-sonnet-4-5)`. */
const alias = (models: Readonly<Record<string, string>>, name: string): string =>
  Object.hasOwn(models, name) ? `${name} (${models[name]})` : name;

function defaultModel(info: SettingsInfo): string {
  return info.choices.defaultModel ?? "the deployment's default model";
}

function modelChoices(info: SettingsInfo): string {
  const names = Object.keys(info.choices.models);
  return names.length ? names.map((n) => alias(info.choices.models, n)).join(', ') : '(none configured)';
}

/** The model in use here, in one phrase. */
function modelNow(info: SettingsInfo): string {
  const set = info.settings.model;
  if (set === undefined) return `the default, ${defaultModel(info)}`;
  if (info.stale.includes('model'))
    return `${set}, no longer one of this tenant's models, so the default (${defaultModel(info)}) answers`;
  return alias(info.choices.models, set);
}

/** The agent in use here, in one phrase. */
function agentNow(info: SettingsInfo): string {
  const set = info.settings.agent;
  if (set === undefined) return 'the main agent (default)';
  if (info.stale.includes('agent')) return `${set}, no longer configured, so the main agent answers`;
  return set;
}

/** `/model` without an argument. */
export function modelText(info: SettingsInfo): string {
  return [
    `Model here: ${modelNow(info)}.`,
    `Default: ${defaultModel(info)}.`,
    `Models: ${modelChoices(info)}.`,
    'Choose one with /model <alias>; /model default goes back to the default. Kept until /new.',
  ].join('\n');
}

/** `/agent` without an argument. */
export function agentText(info: SettingsInfo): string {
  const agents = info.choices.agents;
  if (agents.length === 0) {
    const left = info.settings.agent;
    return (
      'This tenant has no configured agents (agents.json): every turn uses the main agent.' +
      (left === undefined ? '' : `\nThis conversation still names agent ${left}; /agent default clears it.`)
    );
  }
  return [
    `Agent here: ${agentNow(info)}.`,
    `Agents: ${agents.join(', ')}.`,
    'Choose one with /agent <name>; /agent default goes back to the main agent. Kept until /new.',
  ].join('\n');
}

/** The answer to `/model <alias>` or `/model default` once written. */
export function modelSetText(info: SettingsInfo): string {
  const set = info.settings.model;
  return set === undefined
    ? `Model back to the default (${defaultModel(info)}) for this conversation.`
    : `Model set to ${alias(info.choices.models, set)} for this conversation, from the next message.`;
}

/** The answer to `/agent <name>` or `/agent default` once written. */
export function agentSetText(info: SettingsInfo): string {
  const set = info.settings.agent;
  return set === undefined
    ? 'Agent back to the main agent for this conversation.'
    : `Agent set to ${set} for this conversation, from the next message.`;
}

/** A name that is not one of the tenant's: refused, with the choices. */
export function unknownModelText(name: string, info: SettingsInfo): string {
  return `There is no model "${name}" here: nothing changed.\nModels: ${modelChoices(info)}.`;
}

export function unknownAgentText(name: string, info: SettingsInfo): string {
  return info.choices.agents.length === 0
    ? `There is no agent "${name}": this tenant has no configured agents (agents.json). Nothing changed.`
    : `There is no agent "${name}" here: nothing changed.\nAgents: ${info.choices.agents.join(', ')}.`;
}

/** `/debug`'s settings part: the session, the model and the agent the next turn uses. */
export function debugSettingsText(info: SettingsInfo, session: SessionEntry | undefined): string {
  return [
    session
      ? `Session: ${session.sessionId} (${turns(session.turns)})`
      : 'Session: none yet (the next message starts one)',
    `Model: ${modelNow(info)}`,
    `Agent: ${agentNow(info)}`,
  ].join('\n');
}
