import { createRng } from './prng.js';

/** One message of a calibration run: when it is sent, its conversation, how long its turn takes. */
export interface TraceItem {
  atS: number;
  group: number;
  serviceS: number;
}

export interface TraceOptions {
  seed: number;
  ratePerS: number;
  seconds: number;
  groups: number;
  /** `hot.groups` of the groups get `hot.traffic` of the messages. */
  hot: { groups: number; traffic: number };
  /** Turn time: log-normal (median, sigma). */
  service: { medianS: number; sigma: number };
}

/**
 * The same open-loop traffic for the real run and the simulation: Poisson arrivals over a few hot
 * and many cooler conversations, each with its own turn time, all drawn from one seed.
 */
export function calibrationTrace(o: TraceOptions): TraceItem[] {
  const rng = createRng(o.seed);
  const items: TraceItem[] = [];
  for (let t = rng.exp(o.ratePerS); t < o.seconds; t += rng.exp(o.ratePerS)) {
    const group =
      rng.next() < o.hot.traffic ? rng.int(o.hot.groups) : o.hot.groups + rng.int(o.groups - o.hot.groups);
    items.push({ atS: t, group, serviceS: rng.lognormal(o.service.medianS, o.service.sigma) });
  }
  return items;
}
