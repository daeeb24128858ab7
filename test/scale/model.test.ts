import { describe, expect, it } from 'vitest';
import { modelCostPerTurn } from '../../bench/scale/costs.js';
import { runShape } from '../../bench/scale/model.js';
import { BEFORE, shapeByName, type Shape } from '../../bench/scale/shapes.js';
import { dayProfile, turnsPerDay } from '../../bench/scale/traffic.js';

const team = shapeByName('team') as Shape;

describe('scale simulation: a whole shape', () => {
  it('is deterministic for a seed and keeps its invariants (team, one day)', () => {
    const a = runShape(team, {}, 5);
    const b = runShape(team, {}, 5);
    expect({ ...a, wall_ms: 0 }).toEqual({ ...b, wall_ms: 0 });
    expect(a.turns).toBeGreaterThan(500);
    expect(a.max_group_concurrency).toBe(1);
    expect(a.peak_in_flight).toBeLessThanOrEqual(team.settings.maxConcurrency);
    expect(a.turns_failed).toBe(0);
    expect(a.cost_per_1000_turns.model).toBeCloseTo(1000 * modelCostPerTurn('sonnet'), 1);
    expect(a.cost_per_1000_turns.aws).toBeGreaterThan(0);
  });

  it('a fix changes the outcome, not the traffic: the same messages arrive in every variant', () => {
    const today = runShape(team, { telegram: 'retry' }, 5);
    const fixed = runShape(team, { telegram: 'budget' }, 5);
    expect(fixed.turns).toBe(today.turns);
    expect(today.telegram_429_per_chat).toBeGreaterThan(0);
    expect(fixed.telegram_429_per_chat + fixed.telegram_429_per_bot).toBe(0);
  });

  it('a tenant over its partition limit is throttled; per-conversation keys spread it', () => {
    // One tenant, 20 turns/s at the peak: ~97 WCU a turn is ~2,000 WCU/s on one partition.
    const hot: Shape = {
      ...team,
      traffic: { ...team.traffic, peakTurnsPerS: 20, floor: 1, minConversations: 2_000, flood: undefined },
      window: { fromS: 0, toS: 120 },
      settings: { ...team.settings, maxConcurrency: 1_000, modelRpm: 100_000 },
    };
    const before = runShape(hot, BEFORE, 1);
    expect(before.dynamo_write_throttles).toBeGreaterThan(0);
    expect(before.hot_partitions).toBe(1);
    const sharded = runShape(hot, { keys: 'sharded', usageShards: 8 }, 1);
    expect(sharded.dynamo_write_throttles).toBe(0);
    expect(sharded.turns_failed).toBe(0);
  });

  it('the day profile peaks at the peak hour and integrates to the day', () => {
    expect(dayProfile(team.traffic, team.traffic.peakHour * 3600)).toBeCloseTo(1, 5);
    expect(turnsPerDay(team.traffic)).toBeGreaterThan(0.3 * team.traffic.peakTurnsPerS * 86_400 * 0.5);
  });
});
