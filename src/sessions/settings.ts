import { InvalidIdError } from '../core/errors.js';
import type { ConversationRecord, ConversationSettings, SettingsChange } from './types.js';

/**
 * Conversation settings as storage sees them: bounded names, applied to a record. Whether a name
 * is one of the tenant's model aliases or agents is the caller's check (`conversations/`).
 */

/** A model alias or id, an agent name: the characters of the tenants file's `model`, ≤ 200 (also the API's pattern for them). */
export const SETTING_RE = /^[A-Za-z0-9._:/@[\]-]{1,200}$/;

/** A valid setting value, or `InvalidIdError` (nothing is written). */
export function parseSettingValue(field: 'model' | 'agent', value: unknown): string {
  if (typeof value === 'string' && SETTING_RE.test(value)) return value;
  throw new InvalidIdError(`[sessions] invalid ${field}: expected 1–200 of A-Z a-z 0-9 . _ : / @ [ ] -`);
}

/** The change with every value validated (so a backend writes nothing when one is invalid). */
export function parseSettingsChange(change: SettingsChange): SettingsChange {
  const out: SettingsChange = {};
  for (const field of ['model', 'agent'] as const) {
    const value = change[field];
    if (value === undefined) continue;
    out[field] = value === null ? null : parseSettingValue(field, value);
  }
  return out;
}

/** The record's settings after the change (only the setting fields). */
export function settingsAfter(
  record: Pick<ConversationRecord, 'model' | 'agent'> | null,
  change: SettingsChange,
): Pick<ConversationRecord, 'model' | 'agent'> {
  const model = change.model === undefined ? record?.model : (change.model ?? undefined);
  const agent = change.agent === undefined ? record?.agent : (change.agent ?? undefined);
  return { ...(model !== undefined ? { model } : {}), ...(agent !== undefined ? { agent } : {}) };
}

/** `record` with its settings replaced by `settings` (absent fields are removed). */
export function withSettings<T extends Pick<ConversationRecord, 'model' | 'agent'>>(
  record: T,
  settings: Pick<ConversationRecord, 'model' | 'agent'>,
): T {
  const out = { ...record };
  delete out.model;
  delete out.agent;
  return { ...out, ...settings };
}

/** A session's turn count for `switchTo`: a non-negative safe integer, else `InvalidIdError`. */
export function sessionTurns(turns: number): number {
  if (Number.isSafeInteger(turns) && turns >= 0) return turns;
  throw new InvalidIdError(`[sessions] invalid turn count ${String(turns)}: expected an integer ≥ 0`);
}

/** The settings of a map record (none without one). */
export function settingsOf(record: ConversationRecord | null): ConversationSettings {
  return settingsAfter(record, {});
}
