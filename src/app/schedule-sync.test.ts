import { describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { buildScheduleSync, eventBridgeTargetOf } from './schedule-sync.js';

const TARGET = {
  OMNICLOUD_SCHEDULE_GROUP: 'omnicloud-ScheduleGroup-1A2B',
  OMNICLOUD_SCHEDULE_ROLE_ARN: 'arn:aws:iam::123456789012:role/omnicloud-SchedulerRole-1A2B',
  OMNICLOUD_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:omnicloud-MessageQueue-1A2B.fifo',
};

describe('the schedule sync from the environment', () => {
  it('no target: the local sync (nothing to do, the in-process scheduler reads the store)', async () => {
    const built = await buildScheduleSync(parseEnv({}), silentLogger);
    expect(built.sync.kind).toBe('local');
    built.close();
  });

  it('the three variables: an EventBridge sync in the environment region', async () => {
    const env = parseEnv({ ...TARGET, AWS_REGION: 'eu-west-1' });
    expect(eventBridgeTargetOf(env)).toEqual({
      group: TARGET.OMNICLOUD_SCHEDULE_GROUP,
      roleArn: TARGET.OMNICLOUD_SCHEDULE_ROLE_ARN,
      queueArn: TARGET.OMNICLOUD_QUEUE_ARN,
    });
    const built = await buildScheduleSync(env, silentLogger);
    expect(built.sync.kind).toBe('eventbridge');
    built.close();
  });

  it('a partial target is a configuration error naming what is missing', () => {
    const { OMNICLOUD_QUEUE_ARN: _q, ...partial } = TARGET;
    const err = (() => {
      try {
        eventBridgeTargetOf(parseEnv(partial));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.field)).toEqual(['OMNICLOUD_QUEUE_ARN']);
  });
});
