import { describe, expect, it } from 'vitest';
import { createDispatcher, type QueuedJob } from '../../bench/scale/dispatcher.js';
import { createSimulation } from '../../bench/scale/event-queue.js';
import { createRng } from '../../bench/scale/prng.js';

interface Job extends QueuedJob {
  id: number;
  service: number;
}

/** Random jobs over few groups and tenants; records every start and end. */
function run(policy: 'arrival' | 'fair', slots: number, seed: number) {
  const sim = createSimulation();
  const rng = createRng(seed);
  const running = new Map<number, number>();
  const starts: Job[] = [];
  let maxInFlight = 0;
  let maxGroupRunning = 0;
  const tenantRunning = new Map<number, number>();
  let maxTenantRunning = 0;
  const dispatcher = createDispatcher<Job>({
    sim,
    slots,
    policy,
    tenantShare: 0.25,
    start: (job, done) => {
      starts.push(job);
      const g = (running.get(job.group) ?? 0) + 1;
      running.set(job.group, g);
      maxGroupRunning = Math.max(maxGroupRunning, g);
      const t = (tenantRunning.get(job.tenant) ?? 0) + 1;
      tenantRunning.set(job.tenant, t);
      maxTenantRunning = Math.max(maxTenantRunning, t);
      maxInFlight = Math.max(maxInFlight, dispatcher.inFlight);
      sim.after(job.service, () => {
        running.set(job.group, (running.get(job.group) ?? 1) - 1);
        tenantRunning.set(job.tenant, (tenantRunning.get(job.tenant) ?? 1) - 1);
        done();
      });
    },
  });
  let t = 0;
  for (let id = 0; id < 3000; id++) {
    t += rng.exp(20);
    const group = rng.int(40);
    const job: Job = {
      id,
      group,
      tenant: group % 4 === 0 ? 0 : 1 + (group % 7),
      arrival: t,
      service: rng.exp(1),
    };
    sim.at(t, () => dispatcher.submit(job));
  }
  sim.run();
  return { starts, maxInFlight, maxGroupRunning, maxTenantRunning, dispatcher };
}

describe('scale simulation: per-conversation FIFO dispatcher', () => {
  for (const policy of ['arrival', 'fair'] as const) {
    it(`${policy}: one message group never runs two turns at once, and runs them in order`, () => {
      const { starts, maxGroupRunning, dispatcher } = run(policy, 8, 3);
      expect(starts).toHaveLength(3000);
      expect(maxGroupRunning).toBe(1);
      expect(dispatcher.maxGroupConcurrency).toBe(1);
      const lastId = new Map<number, number>();
      for (const job of starts) {
        expect(job.id).toBeGreaterThan(lastId.get(job.group) ?? -1);
        lastId.set(job.group, job.id);
      }
    });
  }

  it('never runs more jobs than slots, and fills them when work is waiting', () => {
    const { maxInFlight } = run('arrival', 8, 5);
    expect(maxInFlight).toBe(8);
  });

  it('fair share: a flooding tenant cannot starve another, and no slot is left idle', () => {
    const waits = (policy: 'arrival' | 'fair') => {
      const sim = createSimulation();
      const other: number[] = [];
      let maxInFlight = 0;
      const dispatcher = createDispatcher<Job>({
        sim,
        slots: 8,
        policy,
        tenantShare: 0.25,
        start: (job, done) => {
          if (job.tenant === 1) other.push(sim.now - job.arrival);
          maxInFlight = Math.max(maxInFlight, dispatcher.inFlight);
          sim.after(job.service, done);
        },
      });
      // Tenant 0 dumps 400 one-second turns over 100 chats at t = 0; tenant 1 sends one every 0.5 s.
      for (let id = 0; id < 400; id++) {
        const job: Job = { id, group: id % 100, tenant: 0, arrival: 0, service: 1 };
        sim.at(0, () => dispatcher.submit(job));
      }
      for (let i = 0; i < 40; i++) {
        const at = 0.1 + i * 0.5;
        const job: Job = { id: 1000 + i, group: 1000 + i, tenant: 1, arrival: at, service: 1 };
        sim.at(at, () => dispatcher.submit(job));
      }
      sim.run();
      return { worst: Math.max(...other), maxInFlight };
    };
    const fifo = waits('arrival');
    const fair = waits('fair');
    expect(fifo.worst).toBeGreaterThan(10);
    expect(fair.worst).toBeLessThanOrEqual(1);
    expect(fair.maxInFlight).toBe(8);
  });
});
