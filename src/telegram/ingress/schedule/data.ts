import { randomBytes } from 'node:crypto';

/**
 * The Save / Cancel buttons of a `/schedule add` confirmation: `sc:<id>:s|c`, where `<id>` is the
 * draft's unguessable id (128 random bits, base64url: 22 characters; the data stays far below
 * Telegram's 64 bytes). The data names only the draft: the chat is the button's own message's.
 */
export type DraftAction = 'save' | 'cancel';

const DATA_RE = /^sc:([A-Za-z0-9_-]{22}):([sc])$/;

export function newDraftId(): string {
  return randomBytes(16).toString('base64url');
}

export function draftButtonData(id: string, action: DraftAction): string {
  return `sc:${id}:${action === 'save' ? 's' : 'c'}`;
}

export function isDraftData(data: string): boolean {
  return data.startsWith('sc:');
}

export function parseDraftData(data: string): { id: string; action: DraftAction } | undefined {
  const match = DATA_RE.exec(data);
  if (!match?.[1]) return undefined;
  return { id: match[1], action: match[2] === 's' ? 'save' : 'cancel' };
}
