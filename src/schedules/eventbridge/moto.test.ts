import {
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto } from '../../../test/peers/moto.js';
import { createSchedulerClient } from '../../aws/scheduler.js';
import { parseTenantId } from '../../core/ids.js';
import { silentLogger } from '../../core/logger.js';
import { decodeQueuedMessage } from '../../queue/message.js';
import { parseScheduleSpec } from '../spec.js';
import type { ScheduleRecord } from '../types.js';
import { SCHEDULED_TIME_PLACEHOLDER } from '../work.js';
import { reconcileEventBridge } from './reconcile.js';
import { createEventBridgeSync } from './sync.js';

/**
 * The EventBridge sync against a real Scheduler API peer (moto_server on 127.0.0.1), beside the
 * recorded-client tests: what we create, update, list and delete is what the service stores.
 * (moto stores schedules; it does not fire them — the queue side is covered by the e2e suite.)
 */
const moto = await startMoto();
const TENANT = parseTenantId('acme');
const target = {
  group: 'omnicloud-test',
  roleArn: 'arn:aws:iam::123456789012:role/omnicloud-scheduler',
  queueArn: 'arn:aws:sqs:us-east-1:123456789012:omnicloud-work.fifo',
};

function record(fields: Record<string, unknown> = {}, state: Partial<ScheduleRecord> = {}): ScheduleRecord {
  const spec = parseScheduleSpec({
    name: 'morning',
    ...('every' in fields ? {} : { cron: '0 9 * * 1-5' }),
    timezone: 'Europe/Berlin',
    prompt: 'Summarise the alarms',
    target: { chat: -1001234, thread: 'new' },
    ...fields,
  });
  return {
    ...spec,
    tenant: TENANT,
    origin: 'runtime',
    paused: false,
    createdBy: 'test',
    createdAt: 0,
    updatedAt: 0,
    version: 1,
    ...state,
  };
}

describe.skipIf(!moto)('EventBridge sync against moto_server (Scheduler API peer)', () => {
  let client: SchedulerClient;
  beforeAll(async () => {
    client = createSchedulerClient({
      region: moto!.region,
      endpoint: moto!.endpoint,
      credentials: moto!.credentials,
    });
    await client.send(new CreateScheduleGroupCommand({ Name: target.group }));
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });
  const sync = () => createEventBridgeSync({ client, logger: silentLogger, ...target });
  const get = (name: string) => client.send(new GetScheduleCommand({ GroupName: target.group, Name: name }));

  it('creates, updates (paused → DISABLED) and deletes a schedule that sends the run to the FIFO queue', async () => {
    await sync().apply(record());
    const created = await get('acme.morning');
    expect(created.ScheduleExpression).toBe('cron(0 9 ? * 2-6 *)');
    expect(created.ScheduleExpressionTimezone).toBe('Europe/Berlin');
    expect(created.State).toBe('ENABLED');
    expect(created.Target?.Arn).toBe(target.queueArn);
    expect(created.Target?.RoleArn).toBe(target.roleArn);
    expect(created.Target?.SqsParameters?.MessageGroupId).toBe('acme:-1001234:sched-morning');
    const body = created.Target?.Input ?? '';
    expect(body).toContain(SCHEDULED_TIME_PLACEHOLDER);
    expect(
      decodeQueuedMessage(body.replace(SCHEDULED_TIME_PLACEHOLDER, '2026-12-02T08:00:00Z')),
    ).toMatchObject({
      kind: 'scheduled',
      source: { type: 'schedule', schedule: 'morning', dueAt: '2026-12-02T08:00:00Z' },
    });

    await sync().apply(record({ every: '30m' }, { paused: true, version: 2 }));
    const updated = await get('acme.morning');
    expect(updated.ScheduleExpression).toBe('rate(30 minutes)');
    expect(updated.State).toBe('DISABLED');

    await sync().remove(TENANT, record().name);
    await expect(get('acme.morning')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await sync().remove(TENANT, record().name); // already gone is fine
  });

  it('a full reconcile creates what is missing, leaves what matches, deletes what has no record', async () => {
    const keep = record({ name: 'keep' });
    const orphan = record({ name: 'orphan' });
    await sync().apply(keep);
    await sync().apply(orphan);
    const fresh = record({ name: 'fresh', every: '1h' });
    const plan = await reconcileEventBridge({
      client,
      ...target,
      tenants: [TENANT],
      records: [keep, fresh],
      logger: silentLogger,
    });
    expect(plan.failed).toEqual([]);
    expect(plan.create.map((e) => e.scheduler)).toEqual(['acme.fresh']);
    expect(plan.unchanged.map((e) => e.scheduler)).toEqual(['acme.keep']);
    expect(plan.delete.map((e) => e.scheduler)).toEqual(['acme.orphan']);
    const listed = await client.send(
      new ListSchedulesCommand({ GroupName: target.group, NamePrefix: 'acme.' }),
    );
    expect((listed.Schedules ?? []).map((s) => s.Name).sort()).toEqual(['acme.fresh', 'acme.keep']);
  });
});
