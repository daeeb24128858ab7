import { describe, expect, it } from 'vitest';
import { recordingScheduler } from '../../../test/support/recording-scheduler.js';
import { createSchedulerClient } from '../../aws/scheduler.js';
import type { TenantId } from '../../core/ids.js';
import { silentLogger } from '../../core/logger.js';
import { decodeQueuedMessage, sourceId } from '../../queue/message.js';
import { InvalidScheduleError, ScheduleSyncError } from '../errors.js';
import { createEventBridgeSync, reconcileEventBridge, schedulerName } from '../eventbridge.js';
import type { ScheduleName, ScheduleRecord } from '../types.js';
import { SCHEDULED_TIME_PLACEHOLDER } from '../work.js';

const TARGET = {
  group: 'omnicloud-prod',
  queueArn: 'arn:aws:sqs:eu-west-1:123456789012:omnicloud-MessageQueue-abc.fifo',
  roleArn: 'arn:aws:iam::123456789012:role/omnicloud-SchedulerRole-abc',
};
const acme = 'acme' as TenantId;

function record(over: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    tenant: acme,
    name: 'morning-alarms' as ScheduleName,
    timing: { type: 'cron', expression: '0 9 * * 1-5' },
    timezone: 'Europe/Berlin',
    prompt: 'Summarise last night’s alarms.',
    target: { chat: -1001234567890, thread: 'new' },
    enabled: true,
    origin: 'config',
    paused: false,
    createdBy: 'config',
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    version: 1,
    ...over,
  };
}

const sync = (client: ReturnType<typeof recordingScheduler>['client']) =>
  createEventBridgeSync({ client, logger: silentLogger, ...TARGET });

describe('EventBridge sync: apply and remove (real SDK serializer, recorded requests)', () => {
  it('first apply: UpdateSchedule is refused (not found), then CreateSchedule with the full definition', async () => {
    const s = recordingScheduler();
    await sync(s.client).apply(record());
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /schedules/acme.morning-alarms',
      'POST /schedules/acme.morning-alarms',
    ]);
    const { ClientToken, ...body } = s.requests[1]!.body!;
    expect(typeof ClientToken).toBe('string'); // the SDK's idempotency token of CreateSchedule
    expect(body).toEqual({
      GroupName: 'omnicloud-prod',
      Description: 'omnicloud acme/morning-alarms',
      ScheduleExpression: 'cron(0 9 ? * 2-6 *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: TARGET.queueArn,
        RoleArn: TARGET.roleArn,
        Input: expect.any(String),
        SqsParameters: { MessageGroupId: 'acme:-1001234567890:sched-morning-alarms' },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
      },
    });
    // The update sent the same definition (Update replaces every field), with its own token.
    const { ClientToken: updateToken, ...update } = s.requests[0]!.body!;
    expect(update).toEqual(body);
    expect(updateToken).not.toBe(ClientToken);
  });

  it('the Input is the work item the worker decodes once Scheduler fills in the scheduled time', async () => {
    const s = recordingScheduler();
    await sync(s.client).apply(record());
    const input = (s.requests[1]!.body!.Target as { Input: string }).Input;
    expect(input).toContain(SCHEDULED_TIME_PLACEHOLDER);
    const item = decodeQueuedMessage(input.replace(SCHEDULED_TIME_PLACEHOLDER, '2026-12-02T09:00:00Z'));
    expect(item).toEqual({
      kind: 'scheduled',
      key: { tenant: 'acme', chat: '-1001234567890', thread: 'sched-morning-alarms' },
      source: { type: 'schedule', schedule: 'morning-alarms', dueAt: '2026-12-02T09:00:00Z' },
    });
    // The turn ledger's request id of that run: a re-send of the same due time is one run.
    expect(sourceId(item.source)).toBe(`sch:morning-alarms:${Date.UTC(2026, 11, 2, 9)}`);
    // The placeholder alone is not a valid item: the queue would dead-letter a body Scheduler did not fill.
    expect(() => decodeQueuedMessage(input)).toThrow(/ISO 8601/);
  });

  it('a second apply is one UpdateSchedule; paused or disabled records are DISABLED; rates need no zone tricks', async () => {
    const s = recordingScheduler();
    const ebs = sync(s.client);
    await ebs.apply(record());
    s.requests.length = 0;
    await ebs.apply(record({ paused: true }));
    expect(s.requests.map((r) => r.op)).toEqual(['Update']);
    expect(s.requests[0]!.body!.State).toBe('DISABLED');
    await ebs.apply(record({ enabled: false, timing: { type: 'rate', every: 1, unit: 'hours' } }));
    expect(s.requests[1]!.body).toMatchObject({ State: 'DISABLED', ScheduleExpression: 'rate(1 hour)' });
    await ebs.apply(record({ timing: { type: 'rate', every: 30, unit: 'minutes' } }));
    expect(s.requests[2]!.body).toMatchObject({ State: 'ENABLED', ScheduleExpression: 'rate(30 minutes)' });
  });

  it('a cron setting both day fields is refused before any call', async () => {
    const s = recordingScheduler();
    await expect(
      sync(s.client).apply(record({ timing: { type: 'cron', expression: '0 9 1 * 1' } })),
    ).rejects.toBeInstanceOf(InvalidScheduleError);
    expect(s.requests).toEqual([]);
  });

  it('remove deletes the schedule; an absent one is fine', async () => {
    const s = recordingScheduler();
    const ebs = sync(s.client);
    await ebs.apply(record());
    await ebs.remove(acme, 'morning-alarms' as ScheduleName);
    await ebs.remove(acme, 'morning-alarms' as ScheduleName);
    const deletes = s.requests.filter((r) => r.op === 'Delete');
    expect(deletes.map((r) => `${r.path}?groupName=${r.query.groupName}`)).toEqual([
      '/schedules/acme.morning-alarms?groupName=omnicloud-prod',
      '/schedules/acme.morning-alarms?groupName=omnicloud-prod',
    ]);
    expect(s.schedules.size).toBe(0);
  });

  it('a refusal becomes a ScheduleSyncError naming the call, the schedule and the exception', async () => {
    const s = recordingScheduler({
      fail: (r) =>
        r.op === 'Update'
          ? { status: 400, type: 'ValidationException', message: 'Invalid RoleArn' }
          : undefined,
    });
    const err = await sync(s.client)
      .apply(record())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScheduleSyncError);
    expect((err as ScheduleSyncError).code).toBe('schedule_sync_failed');
    expect((err as Error).message).toBe(
      '[schedules:eventbridge] UpdateSchedule acme.morning-alarms failed: ValidationException (HTTP 400): Invalid RoleArn',
    );
    const throttled = recordingScheduler({
      fail: () => ({ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }),
    });
    await expect(sync(throttled.client).remove(acme, 'x' as ScheduleName)).rejects.toMatchObject({
      code: 'schedule_sync_throttled',
    });
  });
});

describe('Scheduler names', () => {
  it('<tenant>.<name> when it fits 64 characters, else 55 characters + "-" + 8 hex, distinct and tenant-prefixed', () => {
    expect(schedulerName(acme, 'morning')).toBe('acme.morning');
    const tenant = 'a-very-long-tenant-name-of-32-ch' as TenantId;
    expect(tenant).toHaveLength(32);
    const long = 'n'.repeat(38);
    const a = schedulerName(tenant, `${long}-a`);
    const b = schedulerName(tenant, `${long}-b`);
    for (const n of [a, b]) {
      expect(n).toMatch(/^[0-9a-zA-Z_.-]{64}$/);
      expect(n.startsWith(`${tenant}.`)).toBe(true);
      expect(n).toMatch(/-[0-9a-f]{8}$/);
    }
    expect(a).not.toBe(b);
    expect(a.slice(0, 55)).toBe(b.slice(0, 55));
    expect(schedulerName(tenant, `${long}-a`)).toBe(a); // stable
  });

  it('a long name is applied under its hashed name, with the full name in the description', async () => {
    const s = recordingScheduler();
    const tenant = 'a-very-long-tenant-name-of-32-ch' as TenantId;
    const name = `${'n'.repeat(38)}-a` as ScheduleName;
    await sync(s.client).apply(record({ tenant, name }));
    const create = s.requests.find((r) => r.op === 'Create')!;
    expect(create.path).toBe(`/schedules/${schedulerName(tenant, name)}`);
    expect(create.body!.Description).toBe(`omnicloud ${tenant}/${name}`);
    expect((create.body!.Target as { SqsParameters: unknown }).SqsParameters).toEqual({
      MessageGroupId: `${tenant}:-1001234567890:sched-${name}`,
    });
  });
});

describe('reconcileEventBridge: a full sync of the store', () => {
  const names = (entries: Array<{ scheduler: string }>) => entries.map((e) => e.scheduler).sort();

  async function seeded() {
    const s = recordingScheduler({ pageSize: 2 });
    const ebs = sync(s.client);
    await ebs.apply(record({ name: 'keep' as ScheduleName }));
    await ebs.apply(record({ name: 'change' as ScheduleName }));
    await ebs.apply(record({ name: 'gone' as ScheduleName }));
    await ebs.apply(record({ name: 'gone-too' as ScheduleName }));
    await ebs.apply(record({ tenant: 'other' as TenantId, name: 'theirs' as ScheduleName }));
    s.requests.length = 0;
    const records = [
      record({ name: 'keep' as ScheduleName }),
      record({ name: 'change' as ScheduleName, paused: true }),
      record({ name: 'new' as ScheduleName }),
    ];
    return { s, records };
  }

  it('dry run: lists every page per tenant prefix, reads the existing ones, changes nothing', async () => {
    const { s, records } = await seeded();
    const plan = await reconcileEventBridge({
      client: s.client,
      ...TARGET,
      tenants: [acme],
      records,
      dryRun: true,
    });
    expect(plan.dryRun).toBe(true);
    expect(names(plan.create)).toEqual(['acme.new']);
    expect(names(plan.update)).toEqual(['acme.change']);
    expect(names(plan.unchanged)).toEqual(['acme.keep']);
    expect(plan.delete).toEqual([
      { tenant: 'acme', scheduler: 'acme.gone' },
      { tenant: 'acme', scheduler: 'acme.gone-too' },
    ]);
    expect(plan.failed).toEqual([]);
    const lists = s.requests.filter((r) => r.op === 'List');
    expect(lists.map((r) => r.query)).toEqual([
      { ScheduleGroup: 'omnicloud-prod', NamePrefix: 'acme.', MaxResults: '100' },
      { ScheduleGroup: 'omnicloud-prod', NamePrefix: 'acme.', MaxResults: '100', NextToken: '2' },
    ]);
    expect(s.requests.every((r) => r.op === 'List' || r.op === 'Get')).toBe(true);
    expect(s.schedules.size).toBe(5);
  });

  it('applies the plan: creates, updates, deletes orphans of the tenant only, leaves identical ones alone', async () => {
    const { s, records } = await seeded();
    const result = await reconcileEventBridge({ client: s.client, ...TARGET, tenants: [acme], records });
    expect(result.failed).toEqual([]);
    const writes = s.requests.filter((r) => r.op !== 'List' && r.op !== 'Get');
    expect(writes.map((r) => `${r.op} ${r.path}`)).toEqual([
      'Update /schedules/acme.change',
      'Create /schedules/acme.new',
      'Delete /schedules/acme.gone',
      'Delete /schedules/acme.gone-too',
    ]);
    expect([...s.schedules.keys()].sort()).toEqual([
      'omnicloud-prod/acme.change',
      'omnicloud-prod/acme.keep',
      'omnicloud-prod/acme.new',
      'omnicloud-prod/other.theirs',
    ]);
    expect(s.schedules.get('omnicloud-prod/acme.change')!.State).toBe('DISABLED');
    // A second run finds nothing to do.
    const again = await reconcileEventBridge({ client: s.client, ...TARGET, tenants: [acme], records });
    expect([again.create, again.update, again.delete].flat()).toEqual([]);
    expect(names(again.unchanged)).toEqual(['acme.change', 'acme.keep', 'acme.new']);
  });

  it('a record Scheduler cannot express and a refused call are reported; the rest still runs', async () => {
    const s = recordingScheduler({
      fail: (r) =>
        r.op === 'Create' && r.path.endsWith('/acme.refused')
          ? { status: 402, type: 'ServiceQuotaExceededException', message: 'quota' }
          : undefined,
    });
    const result = await reconcileEventBridge({
      client: s.client,
      ...TARGET,
      tenants: [acme],
      records: [
        record({ name: 'both-days' as ScheduleName, timing: { type: 'cron', expression: '0 9 1 * 1' } }),
        record({ name: 'refused' as ScheduleName }),
        record({ name: 'fine' as ScheduleName }),
      ],
    });
    expect(result.failed.map((f) => [f.name, f.error.split(':')[0]])).toEqual([
      [
        'both-days',
        'cron expression "0 9 1 * 1" sets both day-of-month and day-of-week, which EventBridge Scheduler cannot express',
      ],
      ['refused', '[schedules'],
    ]);
    expect(result.failed[1]!.error).toMatch(
      /CreateSchedule acme\.refused failed: ServiceQuotaExceededException/,
    );
    expect([...s.schedules.keys()]).toEqual(['omnicloud-prod/acme.fine']);
  });

  it('a Create that meets a schedule another container just created falls back to Update', async () => {
    const s = recordingScheduler();
    const result = await reconcileEventBridge({
      client: s.client,
      ...TARGET,
      tenants: [acme],
      records: [record()],
      dryRun: true,
    });
    expect(names(result.create)).toEqual(['acme.morning-alarms']);
    await sync(s.client).apply(record({ paused: true })); // the other container
    const run = await reconcileEventBridge({
      client: s.client,
      ...TARGET,
      tenants: [acme],
      records: [record()],
    });
    expect(run.failed).toEqual([]);
    expect(s.schedules.get('omnicloud-prod/acme.morning-alarms')!.State).toBe('ENABLED');
  });
});

describe('createSchedulerClient', () => {
  it('takes the region, endpoint override and the project retry policy', async () => {
    const client = createSchedulerClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
      retry: { maxAttempts: 2 },
    });
    expect(await client.config.region()).toBe('eu-west-1');
    const endpoint = await client.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    expect(await client.config.maxAttempts()).toBe(2);
    client.destroy();
  });
});
