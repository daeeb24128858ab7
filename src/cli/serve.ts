import { startApiServer } from '../app/serve.js';
import { parseEnv } from '../config/env.js';
import { parseCommandArgs, UsageError } from './args.js';

/** `omnicloud serve`: run the agent HTTP API (and the web console under `/console`) until SIGINT/SIGTERM. */
export async function runServe(
  argv: string[],
  rawEnv: Record<string, string | undefined>,
  err: (text: string) => void,
): Promise<number> {
  const { values } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' } });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new UsageError(`--port must be an integer 0–65535, got ${JSON.stringify(values.port)}`);
  }
  const server = await startApiServer(parseEnv(rawEnv), { rawEnv, host: values.host, port });
  err(`omnicloud: agent API on ${server.url} (POST /v1/chat, Authorization: Bearer <API_AUTH_TOKEN>).`);
  err(
    server.consoleUrl
      ? `omnicloud: web console on ${server.consoleUrl} (sign in with an API token). Ctrl-C to stop.`
      : 'omnicloud: web console off (API_AUTH_MODE=iam or OMNICLOUD_CONSOLE=0). Ctrl-C to stop.',
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  return 0;
}
