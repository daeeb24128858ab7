import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { parseTenantId, type TenantId } from '../core/ids.js';
import type { EventBridgeTarget } from '../schedules/eventbridge/definition.js';
import type { PlanEntry, ReconcileResult } from '../schedules/eventbridge/reconcile.js';
import type { ScheduleStore } from '../schedules/types.js';
import { parseCommandArgs, UsageError } from './args.js';
import { formatTable, listRows } from './schedules-list.js';

export const SCHEDULES_HELP = `Usage: omnicloud schedules list [--tenant T] [--json]
       omnicloud schedules sync [--dry-run] [--tenant T] [--stack NAME] [--region R]

list: every stored schedule (all tenants, or --tenant): name, timing, time zone, target chat[/topic],
state (active, paused, disabled) and the next run in UTC; --json prints the rows as JSON.

sync: brings the triggers in step with the store. On AWS (OMNICLOUD_STORAGE=cloud) it reconciles
the store onto EventBridge Scheduler: one schedule per record in the stack's group, created or
updated when it differs, deleted when its record is gone. The target (group, scheduler role,
queue ARN) comes from OMNICLOUD_SCHEDULE_GROUP / _ROLE_ARN / OMNICLOUD_QUEUE_ARN, else from the
outputs of --stack (default omnicloud, read with the AWS CLI). --dry-run prints the plan only
(of the store as it is: the schedules.yaml step then reports without writing).
Locally there is nothing to sync: the in-process scheduler reads the store on every tick.
Exit codes: 0 done, 1 some schedule failed (listed), 2 usage.`;

export interface SchedulesIO {
  out(line: string): void;
  err(line: string): void;
}

/** The EventBridge side of `sync`: a client and the stack's target. */
export interface EventBridgeAccess {
  client: SchedulerClient;
  target: EventBridgeTarget;
  close(): void;
}

/** What the command needs, built by the caller (the composition root) once the arguments are read. */
export interface SchedulesCommandDeps {
  store: ScheduleStore;
  /** The deployment's tenants (the tenants file, or the single one). */
  tenants: readonly TenantId[];
  /** Where the store lives: `cloud` means the triggers are EventBridge Scheduler schedules. */
  storage: 'sqlite' | 'cloud';
  /** Scheduler client and target (cloud only; `--stack`/`--region` say where to read the outputs). */
  eventBridge(where: { stack: string; region?: string }): Promise<EventBridgeAccess>;
  /**
   * A step run before the sync, on either storage: `schedules.yaml` → store
   * (`reconcileConfigSchedules`), wired by the composition root. With `--dry-run` it must not write.
   */
  beforeSync?(ctx: { tenants: readonly TenantId[]; dryRun: boolean; io: SchedulesIO }): Promise<void>;
  reconcile(options: {
    client: SchedulerClient;
    target: EventBridgeTarget;
    tenants: readonly TenantId[];
    records: Awaited<ReturnType<ScheduleStore['list']>>;
    dryRun: boolean;
  }): Promise<ReconcileResult>;
  now?(): number;
  close(): Promise<void>;
}

const OPTIONS = {
  tenant: { type: 'string' },
  json: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  stack: { type: 'string', default: 'omnicloud' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `omnicloud schedules list|sync`. Returns the exit code. */
export async function runSchedules(
  argv: string[],
  io: SchedulesIO,
  deps: () => Promise<SchedulesCommandDeps>,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    io.out(SCHEDULES_HELP);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'list' && sub !== 'sync') throw new UsageError(`schedules: unknown command "${sub ?? ''}"`);
  if (extra.length > 0) throw new UsageError(`schedules: unexpected arguments: ${extra.join(' ')}`);
  if (sub === 'list' && (values['dry-run'] || values.region))
    throw new UsageError('schedules list: --dry-run and --region belong to sync');
  if (sub === 'sync' && values.json) throw new UsageError('schedules sync: --json belongs to list');
  const only = values.tenant !== undefined ? parseTenantId(values.tenant) : undefined;
  const app = await deps();
  try {
    if (only && !app.tenants.includes(only)) {
      io.err(`no tenant ${only} in this deployment`);
      return 1;
    }
    const tenants = only ? [only] : app.tenants;
    if (sub === 'list') {
      const rows = await listRows(app.store, tenants, app.now?.() ?? Date.now());
      if (values.json) io.out(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) io.out('no schedules');
      else for (const line of formatTable(rows)) io.out(line);
      return 0;
    }
    const dryRun = values['dry-run'];
    await app.beforeSync?.({ tenants, dryRun, io });
    if (app.storage !== 'cloud') {
      io.out('local storage: the in-process scheduler reads the store on every tick; nothing to sync');
      return 0;
    }
    const access = await app.eventBridge({
      stack: values.stack,
      ...(values.region ? { region: values.region } : {}),
    });
    try {
      const records = (await Promise.all(tenants.map((t) => app.store.list(t)))).flat();
      const result = await app.reconcile({
        client: access.client,
        target: access.target,
        tenants,
        records,
        dryRun,
      });
      printResult(result, access.target.group, io);
      return result.failed.length > 0 ? 1 : 0;
    } finally {
      access.close();
    }
  } finally {
    await app.close();
  }
}

const label = (e: PlanEntry): string => (e.name ? `${e.tenant}/${e.name} (${e.scheduler})` : e.scheduler);

function printResult(result: ReconcileResult, group: string, io: SchedulesIO): void {
  const verb = result.dryRun ? 'would ' : '';
  const done = (past: string, present: string) => (result.dryRun ? `${verb}${present}` : past);
  for (const e of result.create) io.out(`${done('created', 'create')} ${label(e)}`);
  for (const e of result.update) io.out(`${done('updated', 'update')} ${label(e)}`);
  for (const e of result.delete) io.out(`${done('deleted', 'delete')} ${label(e)} (no record)`);
  for (const e of result.failed) io.err(`failed ${label(e)}: ${e.error}`);
  io.out(
    `${result.dryRun ? 'dry run: ' : ''}group ${group}: ${result.create.length} to create, ${result.update.length} to update, ` +
      `${result.delete.length} to delete, ${result.unchanged.length} unchanged, ${result.failed.length} failed`,
  );
}
