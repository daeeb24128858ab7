/** A growable sample of numbers with percentiles (nearest-rank). */
export interface Sample {
  add(x: number): void;
  readonly count: number;
  percentile(p: number): number;
  mean(): number;
  max(): number;
}

export function createSample(): Sample {
  let data = new Float64Array(1024);
  let n = 0;
  let sorted = true;
  const sort = (): void => {
    if (!sorted) {
      data.subarray(0, n).sort();
      sorted = true;
    }
  };
  return {
    add(x) {
      if (n === data.length) {
        const grown = new Float64Array(data.length * 2);
        grown.set(data);
        data = grown;
      }
      data[n++] = x;
      sorted = false;
    },
    get count() {
      return n;
    },
    percentile(p) {
      if (n === 0) return 0;
      sort();
      return data[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0;
    },
    mean() {
      let s = 0;
      for (let i = 0; i < n; i++) s += data[i] ?? 0;
      return n === 0 ? 0 : s / n;
    },
    max() {
      let m = 0;
      for (let i = 0; i < n; i++) m = Math.max(m, data[i] ?? 0);
      return m;
    },
  };
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
