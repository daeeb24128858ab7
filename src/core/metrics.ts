import { Metrics as EmfMetrics } from '@aws-lambda-powertools/metrics';

/**
 * Metrics as CloudWatch Embedded Metric Format (EMF) log lines: in Lambda, CloudWatch turns each
 * line into metrics with no API call and no agent; locally they are ordinary JSON lines.
 * Dimensions stay low-cardinality (tenant, never chat or user).
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

/**
 * `Metrics` on Powertools for AWS Lambda: it builds and validates the EMF document (units,
 * dimension and metric limits, timestamp range); we choose where the line goes (`write`, stdout by
 * default, so tests and local runs can read it).
 *
 * One flush per event, not per invocation: every event carries its own tenant dimension (one
 * ingress invocation can serve several tenants, and EMF puts one value per dimension in a line),
 * and nothing is buffered, so nothing can be lost when an invocation ends, throws or times out —
 * no `logMetrics()` wrapper or end-of-handler flush is needed.
 */
export function createEmfMetrics(options: {
  namespace: string;
  write?: (line: string) => void;
  now?: () => number;
}): Metrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emf = new EmfMetrics({ namespace: options.namespace });
  // No `service` dimension: the alarms and dashboards read the metrics keyed by tenant alone.
  emf.clearDefaultDimensions();
  return {
    emit(values, dimensions, properties = {}) {
      const names = Object.keys(values);
      if (names.length === 0) return;
      try {
        emf.addDimensions(dimensions);
        for (const [key, value] of Object.entries(properties)) {
          if (value !== undefined)
            emf.addMetadata(key, typeof value === 'string' ? value : JSON.stringify(value));
        }
        for (const name of names) {
          const metric = values[name];
          if (metric) emf.addMetric(name, metric.unit, metric.value);
        }
        if (options.now) emf.setTimestamp(options.now());
        write(JSON.stringify(emf.serializeMetrics()));
      } finally {
        emf.clearMetrics();
        emf.clearDimensions();
        emf.clearMetadata();
      }
    },
  };
}
