/**
 * A small seeded PRNG (mulberry32) and the distributions the scale simulation draws from. Same seed,
 * same stream: every run of the simulation is reproducible.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Exponential with the given rate (mean 1/rate). */
  exp(rate: number): number;
  /** Log-normal with the given median and log-space sigma. */
  lognormal(median: number, sigma: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    // Box–Muller; 1 - u keeps the log finite.
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    exp: (rate) => -Math.log(1 - next()) / rate,
    lognormal: (median, sigma) => median * Math.exp(sigma * normal()),
    int: (n) => Math.floor(next() * n),
  };
}

/**
 * Sampling from a Zipf-like law over n items (weight of item i ∝ 1 / (i + 1)^s): a few items get
 * most of the draws, the long tail is mostly idle. O(log n) per draw over a precomputed CDF.
 */
export interface Zipf {
  sample(rng: Rng): number;
  /** Probability of item i. */
  share(i: number): number;
}

export function createZipf(n: number, s: number): Zipf {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / Math.pow(i + 1, s);
    cdf[i] = sum;
  }
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] ?? 0) / sum;
  return {
    sample(rng) {
      const u = rng.next();
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((cdf[mid] ?? 1) < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    share: (i) => (cdf[i] ?? 0) - (i > 0 ? (cdf[i - 1] ?? 0) : 0),
  };
}
