import { describe, expect, it } from 'vitest';
import { recordingScheduler } from '../../test/support/recording-scheduler.js';
import { parseEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import { silentLogger } from '../core/logger.js';
import { createEventBridgeSync } from '../schedules/eventbridge.js';
import { createMemoryScheduleStore } from '../schedules/store/memory.js';
import type { ScheduleName, ScheduleRecord, ScheduleStore } from '../schedules/types.js';
import { UsageError } from './args.js';
import { runSchedules } from './schedules.js';
import { resolveTarget, schedulesCommandDeps } from './schedules-deps.js';

const acme = 'acme' as TenantId;
const beta = 'beta' as TenantId;
const OUTPUTS = {
  ScheduleGroupName: 'omnicloud-ScheduleGroup-1A2B',
  SchedulerRoleArn: 'arn:aws:iam::123456789012:role/omnicloud-SchedulerRole-1A2B',
  QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:omnicloud-MessageQueue-1A2B.fifo',
};
const NOW = Date.UTC(2026, 11, 2, 7, 30); // a Wednesday

function record(over: Partial<ScheduleRecord>): ScheduleRecord {
  return {
    tenant: acme,
    name: 'morning' as ScheduleName,
    timing: { type: 'cron', expression: '0 9 * * 1-5' },
    timezone: 'Europe/Berlin',
    prompt: 'Summarise the alarms.',
    target: { chat: -1001234, thread: 'new' },
    enabled: true,
    origin: 'config',
    paused: false,
    createdBy: 'config',
    createdAt: NOW,
    updatedAt: NOW,
    version: 1,
    ...over,
  };
}

async function seededStore(): Promise<ScheduleStore> {
  const store = createMemoryScheduleStore();
  await store.put(record({}));
  await store.put(
    record({
      name: 'hourly' as ScheduleName,
      timing: { type: 'rate', every: 2, unit: 'hours' },
      timezone: 'UTC',
      target: { chat: -1001234, thread: 42 },
      paused: true,
    }),
  );
  await store.put(
    record({
      tenant: beta,
      name: 'weekly' as ScheduleName,
      timing: { type: 'cron', expression: '30 8 * * 1' },
      timezone: 'UTC',
      target: { chat: 77 },
      origin: 'runtime',
      enabled: false,
    }),
  );
  return store;
}

function harness(
  options: { storage?: 'sqlite' | 'cloud'; store?: ScheduleStore; withBeforeSync?: boolean } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const scheduler = recordingScheduler();
  const events: string[] = [];
  let closed = 0;
  const run = async (argv: string[]) => {
    const store = options.store ?? (await seededStore());
    return runSchedules(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => {
      const deps = schedulesCommandDeps({
        env: parseEnv({ OMNICLOUD_STORAGE: options.storage ?? 'cloud', AWS_REGION: 'eu-west-1' }),
        logger: silentLogger,
        store,
        tenants: [acme, beta],
        close: async () => void closed++,
        stackOutputs: async (stack, region) => {
          events.push(`outputs ${stack} ${region ?? '-'}`);
          return OUTPUTS;
        },
        ...(options.withBeforeSync
          ? {
              beforeSync: async ({ tenants, dryRun, io }) => {
                events.push(`beforeSync ${tenants.join(',')} dryRun=${dryRun}`);
                io.out('config: 0 changes');
              },
            }
          : {}),
      });
      // The recorded client stands in for the real one; the target still comes from the outputs.
      return {
        ...deps,
        // A fixed now: the next runs printed do not depend on the day the suite runs.
        now: () => NOW,
        eventBridge: async (where) => ({ ...(await deps.eventBridge(where)), client: scheduler.client }),
      };
    });
  };
  return { run, out, err, scheduler, events, closed: () => closed };
}

describe('omnicloud schedules list', () => {
  it('prints every tenant’s schedules: timing, zone, target, state and the next run (UTC)', async () => {
    const h = harness();
    expect(await h.run(['list'])).toBe(0);
    expect(h.out).toEqual([
      'TENANT  NAME     TIMING            ZONE           TARGET        STATE     NEXT RUN (UTC)',
      'acme    hourly   every 2h          UTC            -1001234/42   paused    -',
      'acme    morning  cron 0 9 * * 1-5  Europe/Berlin  -1001234/new  active    2026-12-02T08:00:00.000Z',
      'beta    weekly   cron 30 8 * * 1   UTC            77            disabled  -',
    ]);
    expect(h.closed()).toBe(1);
  });

  it('--tenant and --json: the rows of one tenant as JSON', async () => {
    const h = harness();
    expect(await h.run(['list', '--tenant', 'beta', '--json'])).toBe(0);
    expect(JSON.parse(h.out.join('\n'))).toEqual([
      {
        tenant: 'beta',
        name: 'weekly',
        timing: 'cron 30 8 * * 1',
        timezone: 'UTC',
        target: '77',
        state: 'disabled',
        nextRun: null,
        origin: 'runtime',
      },
    ]);
  });

  it('an unknown tenant is an error; bad usage is a UsageError', async () => {
    const h = harness();
    expect(await h.run(['list', '--tenant', 'nobody'])).toBe(1);
    expect(h.err).toEqual(['no tenant nobody in this deployment']);
    await expect(h.run(['lst'])).rejects.toBeInstanceOf(UsageError);
    await expect(h.run(['list', '--dry-run'])).rejects.toBeInstanceOf(UsageError);
    await expect(h.run(['sync', '--json'])).rejects.toBeInstanceOf(UsageError);
  });
});

describe('omnicloud schedules sync', () => {
  it('on cloud storage: runs the injected step, reads the stack outputs, reconciles onto Scheduler', async () => {
    const h = harness({ withBeforeSync: true });
    expect(await h.run(['sync', '--stack', 'prod', '--region', 'eu-west-1'])).toBe(0);
    expect(h.events).toEqual(['beforeSync acme,beta dryRun=false', 'outputs prod eu-west-1']);
    expect(h.out).toEqual([
      'config: 0 changes',
      'created acme/hourly (acme.hourly)',
      'created acme/morning (acme.morning)',
      'created beta/weekly (beta.weekly)',
      'group omnicloud-ScheduleGroup-1A2B: 3 to create, 0 to update, 0 to delete, 0 unchanged, 0 failed',
    ]);
    const creates = h.scheduler.requests.filter((r) => r.op === 'Create');
    expect(creates.map((r) => [r.path, r.body!.GroupName, r.body!.State])).toEqual([
      ['/schedules/acme.hourly', OUTPUTS.ScheduleGroupName, 'DISABLED'],
      ['/schedules/acme.morning', OUTPUTS.ScheduleGroupName, 'ENABLED'],
      ['/schedules/beta.weekly', OUTPUTS.ScheduleGroupName, 'DISABLED'],
    ]);
    expect(creates[0]!.body!.Target).toMatchObject({
      Arn: OUTPUTS.QueueArn,
      RoleArn: OUTPUTS.SchedulerRoleArn,
    });
  });

  it('--dry-run --tenant: the plan of one tenant, nothing written; an orphan is planned for deletion', async () => {
    const h = harness({ withBeforeSync: true });
    // A schedule left behind by a removed record of acme, and one of beta (another tenant: untouched).
    const target = {
      group: OUTPUTS.ScheduleGroupName,
      queueArn: OUTPUTS.QueueArn,
      roleArn: OUTPUTS.SchedulerRoleArn,
    };
    const ebs = createEventBridgeSync({ client: h.scheduler.client, logger: silentLogger, ...target });
    await ebs.apply(record({ name: 'old' as ScheduleName }));
    await ebs.apply(record({ tenant: beta, name: 'old' as ScheduleName }));
    h.scheduler.requests.length = 0;
    expect(await h.run(['sync', '--dry-run', '--tenant', 'acme'])).toBe(0);
    expect(h.events[0]).toBe('beforeSync acme dryRun=true');
    expect(h.out.slice(1)).toEqual([
      'would create acme/hourly (acme.hourly)',
      'would create acme/morning (acme.morning)',
      'would delete acme.old (no record)',
      'dry run: group omnicloud-ScheduleGroup-1A2B: 2 to create, 0 to update, 1 to delete, 0 unchanged, 0 failed',
    ]);
    expect(h.scheduler.requests.every((r) => r.op === 'List' || r.op === 'Get')).toBe(true);
  });

  it('a failed schedule is listed and the exit code is 1', async () => {
    const store = createMemoryScheduleStore();
    await store.put(record({}));
    const h = harness({ store });
    const failing = recordingScheduler({
      fail: (r) =>
        r.op === 'Create' ? { status: 400, type: 'ValidationException', message: 'bad role' } : undefined,
    });
    h.scheduler.client = failing.client;
    expect(await h.run(['sync', '--tenant', 'acme'])).toBe(1);
    expect(h.err).toEqual([
      'failed acme/morning (acme.morning): [schedules:eventbridge] CreateSchedule acme.morning failed: ValidationException (HTTP 400): bad role',
    ]);
  });

  it('locally: the config step still runs, and it says there is nothing to sync', async () => {
    const h = harness({ storage: 'sqlite', withBeforeSync: true });
    expect(await h.run(['sync'])).toBe(0);
    expect(h.out).toEqual([
      'config: 0 changes',
      'local storage: the in-process scheduler reads the store on every tick; nothing to sync',
    ]);
    expect(h.scheduler.requests).toEqual([]);
    expect(h.events).toEqual(['beforeSync acme,beta dryRun=false']);
  });
});

describe('the sync target', () => {
  it('comes from the environment when set, else from the stack outputs, which must all be there', async () => {
    const never = async () => {
      throw new Error('not read');
    };
    const env = parseEnv({
      OMNICLOUD_SCHEDULE_GROUP: 'g',
      OMNICLOUD_SCHEDULE_ROLE_ARN: OUTPUTS.SchedulerRoleArn,
      OMNICLOUD_QUEUE_ARN: OUTPUTS.QueueArn,
    });
    expect(await resolveTarget(env, { stack: 's' }, never)).toMatchObject({ group: 'g' });
    const partial = async () => ({ ScheduleGroupName: 'g' });
    await expect(resolveTarget(parseEnv({}), { stack: 'old' }, partial)).rejects.toBeInstanceOf(ConfigError);
    await expect(resolveTarget(parseEnv({}), { stack: 'old' }, partial)).rejects.toThrow(/SchedulerRoleArn/);
  });
});
