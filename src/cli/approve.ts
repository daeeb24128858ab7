import { isApprovalId } from '../approvals/ids.js';
import { APPROVAL_DECISIONS, type ApprovalDecision } from '../approvals/types.js';
import type { AppDeps } from '../app/types.js';
import { parseTenantId } from '../core/ids.js';
import { conversationKeyString } from '../core/keys.js';
import { cliDecider } from './approval-prompt.js';
import { parseCommandArgs, UsageError } from './args.js';
import { exitCodeOf, liveTurn, rendererFor, type ChatIO } from './chat.js';

export const APPROVE_HELP = `Usage: omnicloud approve ID allow_once|allow_conversation|deny [--tenant T] [--json]

Decides an approval request (the id printed by omnicloud chat -m, shown in Telegram's /debug, or
pending_approval.id of the API) and continues its conversation's turn: allow_once runs the call,
allow_conversation runs it and allows its rule for the rest of the conversation, deny refuses it
(the agent is told). The reply streams as in omnicloud chat; --json prints only the result object.
--tenant: the tenant whose request it is (default "default"). Deciding is recorded as cli:<os user>.
Exit codes: 0 answered, 1 failed (also when the request is unknown, already decided, expired or
cancelled), 2 usage, 3 the continued turn waits for another approval (printed, with its id).`;

const APPROVE_OPTIONS = {
  tenant: { type: 'string', default: 'default' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** What `approve` uses of the app: the runner, the approval store (to find the conversation), close. */
export type ApproveDeps = Pick<AppDeps, 'runner' | 'close'> & {
  storage: Pick<AppDeps['storage'], 'approvals'>;
};

const isDecision = (value: string | undefined): value is ApprovalDecision =>
  (APPROVAL_DECISIONS as readonly (string | undefined)[]).includes(value);

/** `omnicloud approve ID DECISION`: continues the request's conversation with the decision. Returns the exit code. */
export async function runApprove(
  argv: string[],
  io: ChatIO,
  deps: () => Promise<ApproveDeps>,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, APPROVE_OPTIONS);
  if (values.help) {
    io.out(APPROVE_HELP);
    return 0;
  }
  const [id, decision, ...extra] = positionals;
  if (!isApprovalId(id))
    throw new UsageError(`approve: expected an approval id (22 characters), got ${JSON.stringify(id ?? '')}`);
  if (!isDecision(decision))
    throw new UsageError(
      `approve: expected a decision (${APPROVAL_DECISIONS.join(', ')}), got ${JSON.stringify(decision ?? '')}`,
    );
  if (extra.length > 0) throw new UsageError(`approve: unexpected arguments: ${extra.join(' ')}`);
  const tenant = parseTenantId(values.tenant);
  const app = await deps();
  try {
    const record = await app.storage.approvals.get(tenant, id);
    if (!record) {
      io.err(`no approval request ${id} in tenant ${tenant}`);
      return 1;
    }
    if (!values.json) io.err(`conversation ${conversationKeyString(record.key)}: ${decision}`);
    // The same request id for a repeat of this decision: a retry gets the recorded result, not a second run.
    const turn = {
      text: '',
      approval: { id, decision, by: cliDecider() },
      requestId: `cli:approval:${id}:${decision}`,
    };
    const result = values.json
      ? await app.runner.runTurn({ key: record.key, ...turn })
      : await liveTurn(app, record.key, turn, rendererFor(io));
    if (values.json) io.out(JSON.stringify(result, null, 2));
    return exitCodeOf(result, io, tenant, !values.json);
  } finally {
    await app.close();
  }
}
