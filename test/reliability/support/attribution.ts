import { conversationKeyString, type ConversationKey } from '../../../src/core/keys.js';
import type { FaultRecord } from './fault-proxy.js';

/**
 * Which injected faults explain a slow message. A fault concerns a message's conversation when one
 * of its keys names the conversation (its key string in a DynamoDB `sk`, its SQS group, its chat
 * and thread in a usage counter), one of its sessions (transcript heads, parts and S3 objects are
 * keyed by session), or one of its texts (the bodies a lost receive carried). Faults that name no
 * conversation — a tenant-wide counter, a receive refused before SQS answered — are shared: they
 * can delay whichever message is running. A slow message is explained by the faults of either
 * kind injected during its life (posted → answered).
 */
export interface MessageLife {
  /** `conversation name #i`. */
  label: string;
  key: ConversationKey;
  /** The conversation's session ids and message texts (what its fault keys may name). */
  sessionIds: readonly string[];
  texts: readonly string[];
  postedAt: number;
  answeredAt: number;
}

export interface Attribution {
  message: MessageLife;
  latencyMs: number;
  /** Faults that named the conversation. */
  own: FaultRecord[];
  /** Faults that named no conversation. */
  shared: FaultRecord[];
}

/** Whether a fault key names this message's conversation (see above). */
function concerns(key: string, m: MessageLife): boolean {
  const conv = conversationKeyString(m.key);
  const chatThread = `${m.key.chat}:${m.key.thread}`;
  if (key === `group:${conv}` || key.includes(`${conv}#`) || key.endsWith(conv)) return true;
  if (key.includes(`#${chatThread}#`)) return true;
  if (m.sessionIds.some((s) => s !== '' && key.includes(s))) return true;
  return key.startsWith('body:') && m.texts.some((t) => key.includes(`"${t}"`));
}

/** Whether a key names some conversation or session (not a shared, tenant-wide item). */
const SPECIFIC = [
  /^group:/,
  /^body:/,
  /[0-9a-f]{8}-[0-9a-f]{4}-/,
  /^(conv|lease|turn|sess|sessid)#/,
  /#conv#/,
];
const isShared = (f: FaultRecord): boolean => f.keys.every((k) => !SPECIFIC.some((re) => re.test(k)));

export function attribute(messages: readonly MessageLife[], faults: readonly FaultRecord[]): Attribution[] {
  return messages.map((message) => {
    const during = faults.filter((f) => f.at >= message.postedAt && f.at <= message.answeredAt);
    return {
      message,
      latencyMs: message.answeredAt - message.postedAt,
      own: during.filter((f) => f.keys.some((k) => concerns(k, message))),
      shared: during.filter(isShared),
    };
  });
}

/** One line per message: latency, then its faults counted by service, operation and kind. */
export function describeAttribution(a: Attribution): string {
  const counted = (faults: FaultRecord[]): string => {
    const counts = new Map<string, number>();
    for (const f of faults) {
      const what = `${f.service} ${f.operation} ${f.kind}`;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    return [...counts].map(([what, n]) => (n > 1 ? `${what} ×${n}` : what)).join(', ') || 'none';
  };
  const shared = a.shared.length > 0 ? `; shared: ${counted(a.shared)}` : '';
  return `${a.message.label} ${(a.latencyMs / 1000).toFixed(1)} s ← ${counted(a.own)}${shared}`;
}
