/**
 * Times the calls a turn makes into the app's stores (leases, conversation map, turn ledger,
 * transcripts, usage) by wrapping their methods in place on the built objects — the runner looks
 * them up on every call, so it sees the wrappers. A measurement aid for benches only.
 */
export interface CallSpan {
  /** `leases.acquire`, `turns.begin`, `usage.checkBudget`, `transcripts.append`, … */
  name: string;
  start: number;
  /** `performance.now()` when its promise settled (undefined while pending). */
  end?: number;
}

export interface CallTracer {
  /** Starts a fresh list of spans (one turn). */
  begin(): void;
  /** The spans recorded since `begin()`. */
  spans(): CallSpan[];
  /** Wraps every method of `obj` (own and inherited) so its calls are recorded as `prefix.method`. */
  trace(obj: object, prefix: string): void;
}

export function createCallTracer(): CallTracer {
  let spans: CallSpan[] = [];
  return {
    begin() {
      spans = [];
    },
    spans: () => spans,
    trace(obj, prefix) {
      const target = obj as Record<string, unknown>;
      const names = new Set<string>();
      for (
        let p: object | null = obj;
        p && p !== Object.prototype;
        p = Object.getPrototypeOf(p) as object | null
      )
        for (const name of Object.getOwnPropertyNames(p)) if (name !== 'constructor') names.add(name);
      for (const name of names) {
        const original = target[name];
        if (typeof original !== 'function') continue;
        const fn = original as (...args: unknown[]) => unknown;
        target[name] = (...args: unknown[]): unknown => {
          const span: CallSpan = { name: `${prefix}.${name}`, start: performance.now() };
          spans.push(span);
          const value = fn.apply(obj, args);
          if (value instanceof Promise) {
            return value.finally(() => {
              span.end = performance.now();
            });
          }
          span.end = performance.now();
          return value;
        };
      }
    },
  };
}
