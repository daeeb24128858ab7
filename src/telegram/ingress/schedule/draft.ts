import type { TenantId } from '../../../core/ids.js';
import {
  MAX_CLAIM_VALUE_BYTES,
  parseScheduleSpec,
  writtenSpec,
  type ClaimStore,
  type ScheduleSpec,
} from '../../../schedules/index.js';
import { newDraftId } from './data.js';

/**
 * A `/schedule add` awaiting Save or Cancel: kept in the claim store (`sdraft:<id>`, 15 minutes),
 * never in this process, so the tap may reach any container. `chat` is where the command was sent
 * (chat and topic): the tap must be on a message there. `proposer`: the Telegram user who sent it.
 */
export interface ScheduleDraft {
  spec: ScheduleSpec;
  chat: { id: number; thread?: number };
  proposer: number;
}

export const DRAFT_TTL_MS = 15 * 60 * 1000;

const draftKey = (id: string): string => `sdraft:${id}`;
/** Written once by the first tap that acts on the draft: the conditional write makes it exactly once. */
const usedKey = (id: string): string => `sdraft:${id}:used`;

/** Stores the draft under a new id; `too_long` when it exceeds a claim's 8 KiB (a long non-Latin prompt). */
export async function saveDraft(
  claims: ClaimStore,
  tenant: TenantId,
  draft: ScheduleDraft,
): Promise<{ id: string } | 'too_long'> {
  const value = JSON.stringify({ spec: writtenSpec(draft.spec), chat: draft.chat, proposer: draft.proposer });
  if (Buffer.byteLength(value, 'utf8') > MAX_CLAIM_VALUE_BYTES) return 'too_long';
  const id = newDraftId();
  const put = await claims.putIfAbsent(tenant, draftKey(id), value, DRAFT_TTL_MS);
  // 128 random bits do not collide; if they ever did, the other draft is not overwritten.
  if (!put.created) throw new Error('[telegram:schedule] draft id collision');
  return { id };
}

/** The live draft, or undefined (expired, used, unknown, or not a draft we wrote). */
export async function readDraft(
  claims: ClaimStore,
  tenant: TenantId,
  id: string,
): Promise<ScheduleDraft | undefined> {
  const value = await claims.get(tenant, draftKey(id));
  if (value === null) return undefined;
  try {
    const raw = JSON.parse(value) as {
      spec?: unknown;
      chat?: { id?: unknown; thread?: unknown };
      proposer?: unknown;
    };
    const chatId = raw.chat?.id;
    const thread = raw.chat?.thread;
    if (typeof chatId !== 'number' || typeof raw.proposer !== 'number') return undefined;
    if (thread !== undefined && typeof thread !== 'number') return undefined;
    return {
      spec: parseScheduleSpec(raw.spec),
      chat: { id: chatId, ...(thread !== undefined ? { thread } : {}) },
      proposer: raw.proposer,
    };
  } catch {
    return undefined;
  }
}

/**
 * Uses the draft up: true for exactly one caller (a double tap, or taps on two containers, get
 * false), which then deletes it. The used marker outlives the draft.
 */
export async function consumeDraft(
  claims: ClaimStore,
  tenant: TenantId,
  id: string,
  by: number,
): Promise<boolean> {
  const claim = await claims.putIfAbsent(tenant, usedKey(id), String(by), DRAFT_TTL_MS);
  if (!claim.created) return false;
  await claims.delete(tenant, draftKey(id));
  return true;
}
