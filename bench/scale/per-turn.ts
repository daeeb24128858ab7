/**
 * What one Telegram turn costs in requests and capacity units, from our own measurements and code
 * paths (docs/scale.md §1 derives every figure; the sources are named beside each one). "AWS" units:
 * DynamoDB Local reports transactional writes at twice AWS's rate, so its measured 108 WCU per turn
 * is ≈ 54 on AWS (docs/benchmarks.md §2).
 */
export const PER_TURN = {
  dynamodb: {
    /** At the start, under the lease: lease acquire (1) + turn-ledger `started` Put (1). */
    startWcu: 2,
    /** Ledger lookup (1) + conversation map GetItem (1) + one Query for the session's heads (1); all consistent. */
    startRcu: 3,
    /**
     * At the end: the SDK's two appends (54, sessions bench ÷ 2), 10 usage counters + 1 raw usage
     * turn (11, `countersOf`; the 10th is the per-model day counter), map touch (1), ledger `done`
     * with the result (3, ~2 KB item), `delivered` (3, same item), lease release (1), ~1 heartbeat (1).
     */
    endWcu: 74,
    /** Of `endWcu`, the usage items (on a usage shard key since §8.2). */
    usageWcu: 11,
    /**
     * The session catalog's conditional `UpdateItem` (`sess#…`, src/sessions/catalog/dynamodb.ts), a
     * small item: the one per-turn write left on `pk` = tenant once session items are keyed by
     * conversation and session (§8.1).
     */
    catalogWcu: 1,
    /** Compaction later deletes each table part (~22 WCU per ~20 KB part, sessions bench), amortised. */
    compactionWcu: 22,
    /** Requests a turn sends: 3 reads + 2 start writes + 2 appends + 11 usage + 6 other writes (catalog included). */
    requests: 24,
    /** Tenant counters written once per turn each (`usage#tenant#day|month|all`): the hottest items. */
    tenantCounterItems: 3,
    /** A cold resume (no warm cache in this container) reads the table parts: ~20 KB each = 5 RCU. */
    rcuPerTablePart: 5,
  },
  ingress: {
    /** Dedupe claim: one conditional Put on the dedupe table (pk = tenant + update id). */
    dedupeWcu: 1,
    /** SendMessage to the FIFO queue. */
    sqsSend: 1,
  },
  sqs: {
    /** Per message on Lambda: send + the event source's receive + delete (BatchSize 1). */
    requestsPerMessage: 3,
  },
  s3: {
    /** Compaction merges > 64 parts into a segment: ≈ 1 PUT and 1 GET per 64 turns of a conversation. */
    putsPerTurn: 1 / 64,
    getsPerTurn: 1 / 64,
  },
  telegram: {
    /** `sendChatAction` every 4 s while a turn runs (TYPING_INTERVAL_MS), the first at once. */
    typingIntervalS: 4,
    /** Replies are split at 4,096 characters; share of replies needing 1, 2, 3 messages (assumption). */
    replyParts: [0.85, 0.1, 0.05] as const,
  },
  lambda: {
    /** Worker memory (template `WorkerMemorySize` default): one full vCPU. */
    workerMemoryGb: 1769 / 1024,
    /** Runner + binary overhead on top of the model's time, measured (runner bench, new turn). */
    runnerOverheadS: 0.332,
    /** Store work of a turn, measured (sessions bench, turn 300). */
    storeS: 0.0058,
    /** Webhook Lambda: 512 MB, ~20 ms billed per update (assumption; local p50 2.5 ms). */
    ingressMemoryGb: 0.5,
    ingressBilledS: 0.02,
  },
  model: {
    /**
     * A typical ops turn (assumption, docs/scale.md §1): 3 model requests (two tool calls and the
     * answer), ~15 K tokens each — a ~50 KB system prompt + tool definitions (agent-sdk-offline
     * note) plus history — mostly cache reads.
     */
    requests: 3,
    cacheReadTokens: 40_000,
    cacheWriteTokens: 4_000,
    inputTokens: 1_000,
    outputTokens: 1_000,
  },
} as const;

/** Write units one turn costs the tenant's partition, all told. */
export const TURN_WCU =
  PER_TURN.dynamodb.startWcu +
  PER_TURN.dynamodb.endWcu +
  PER_TURN.dynamodb.catalogWcu +
  PER_TURN.dynamodb.compactionWcu;
