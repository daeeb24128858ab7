/**
 * Failed console sign-ins, counted per client address: after `maxFailures` within `windowMs` that
 * address is refused (429) until the window has passed, so guessing tokens through the form costs
 * time. Per process (a Lambda container, a server): a bound against casual guessing, not a global
 * one — API tokens are long random secrets, which is what makes guessing hopeless.
 */
export interface SignInThrottle {
  /** Milliseconds this address must still wait, or 0 when it may try. */
  retryAfterMs(address: string, now: number): number;
  /** Records one failed attempt. */
  failed(address: string, now: number): void;
  /** Forgets the address (a successful sign-in). */
  succeeded(address: string): void;
}

export interface SignInThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Addresses remembered at most (the oldest are forgotten first), so memory stays bounded. */
  maxAddresses?: number;
}

export const SIGN_IN_MAX_FAILURES = 10;
export const SIGN_IN_WINDOW_MS = 5 * 60 * 1000;

export function createSignInThrottle(options: SignInThrottleOptions = {}): SignInThrottle {
  const max = options.maxFailures ?? SIGN_IN_MAX_FAILURES;
  const windowMs = options.windowMs ?? SIGN_IN_WINDOW_MS;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const failures = new Map<string, { count: number; since: number }>();
  const current = (address: string, now: number) => {
    const entry = failures.get(address);
    if (entry && now - entry.since >= windowMs) {
      failures.delete(address);
      return undefined;
    }
    return entry;
  };
  return {
    retryAfterMs(address, now) {
      const entry = current(address, now);
      return entry && entry.count >= max ? entry.since + windowMs - now : 0;
    },
    failed(address, now) {
      const entry = current(address, now);
      if (entry) {
        entry.count += 1;
        return;
      }
      failures.set(address, { count: 1, since: now });
      while (failures.size > maxAddresses) {
        const oldest = failures.keys().next();
        if (oldest.done) break;
        failures.delete(oldest.value);
      }
    },
    succeeded(address) {
      failures.delete(address);
    },
  };
}

/**
 * The client's address as the runtime reports it: the Function URL's `requestContext.http.sourceIp`
 * on Lambda, the socket's peer under `@hono/node-server`; never a request header (which anyone can
 * set). `unknown` when neither is there: all such clients share one count.
 */
export function clientAddress(bindings: unknown): string {
  const lambda = pick(pick(pick(bindings, 'requestContext'), 'http'), 'sourceIp');
  if (typeof lambda === 'string' && lambda.length > 0) return lambda;
  const node = pick(pick(pick(bindings, 'incoming'), 'socket'), 'remoteAddress');
  if (typeof node === 'string' && node.length > 0) return node;
  return 'unknown';
}

function pick(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
