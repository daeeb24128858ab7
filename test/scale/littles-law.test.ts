import { describe, expect, it } from 'vitest';
import { createDispatcher, type QueuedJob } from '../../bench/scale/dispatcher.js';
import { createSimulation } from '../../bench/scale/event-queue.js';
import { createRng } from '../../bench/scale/prng.js';

/** Erlang C: probability an arrival waits in M/M/c with offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const top = term / (1 - a / c);
  return top / (sum + top);
}

describe('scale simulation: queueing sanity (M/D/c)', () => {
  it("matches Little's law and the M/D/c waiting time within tolerance", () => {
    const lambda = 8;
    const service = 0.5;
    const c = 5;
    const jobs = 200_000;
    const sim = createSimulation();
    const rng = createRng(11);
    let waitSum = 0;
    let done = 0;
    // Time-weighted queue length.
    let area = 0;
    let lastT = 0;
    let queued = 0;
    const tick = (): void => {
      area += queued * (sim.now - lastT);
      lastT = sim.now;
    };
    const dispatcher = createDispatcher<QueuedJob>({
      sim,
      slots: c,
      policy: 'arrival',
      start: (job, release) => {
        tick();
        queued--;
        waitSum += sim.now - job.arrival;
        sim.after(service, () => {
          done++;
          release();
        });
      },
    });
    let t = 0;
    for (let i = 0; i < jobs; i++) {
      t += rng.exp(lambda);
      const job = { group: i, tenant: 0, arrival: t };
      sim.at(t, () => {
        tick();
        queued++;
        dispatcher.submit(job);
      });
    }
    sim.run();
    const elapsed = sim.now;
    const wq = waitSum / jobs;
    const lq = area / elapsed;
    expect(done).toBe(jobs);
    // Little's law on the waiting line: Lq = λ·Wq (λ as observed over the run).
    expect(Math.abs(lq - (jobs / elapsed) * wq) / lq).toBeLessThan(0.02);
    // M/D/c ≈ half of M/M/c, with Cosmetatos' correction.
    const rho = (lambda * service) / c;
    const mmc = erlangC(c, lambda * service) / (c / service - lambda);
    const correction = 1 + ((1 - rho) * (c - 1) * (Math.sqrt(4 + 5 * c) - 2)) / (16 * rho * c);
    const mdc = 0.5 * mmc * correction;
    expect(Math.abs(wq - mdc) / mdc).toBeLessThan(0.1);
  });
});
