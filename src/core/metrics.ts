/**
 * Metrics as CloudWatch Embedded Metric Format (EMF) log lines: in Lambda, CloudWatch turns each
 * line into metrics with no API call and no agent; locally they are ordinary JSON lines. One line
 * per event, dimensions kept low-cardinality (tenant, never chat or user).
 */
export type MetricUnit = 'Milliseconds' | 'Count' | 'None';

export interface Metrics {
  /** Emit one event: `values` by metric name, `dimensions` (e.g. `{ tenant }`), extra properties for search. */
  emit(
    values: Record<string, { value: number; unit: MetricUnit }>,
    dimensions: Record<string, string>,
    properties?: Record<string, unknown>,
  ): void;
}

export function createEmfMetrics(options: {
  namespace: string;
  write?: (line: string) => void;
  now?: () => number;
}): Metrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  return {
    emit(values, dimensions, properties = {}) {
      const names = Object.keys(values);
      if (names.length === 0) return;
      const record: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: options.namespace,
              Dimensions: [Object.keys(dimensions)],
              Metrics: names.map((name) => ({ Name: name, Unit: values[name]?.unit ?? 'None' })),
            },
          ],
        },
        ...properties,
        ...dimensions,
      };
      for (const name of names) record[name] = values[name]?.value;
      write(JSON.stringify(record));
    },
  };
}

/** Metrics that go nowhere (local runs, tests). */
export const noMetrics: Metrics = { emit: () => {} };
