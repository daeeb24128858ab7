// Agent HTTP API Lambda (container image, Function URL). Cold-start cache: secrets, clients, app.
import { handle } from 'hono/aws-lambda';
import { loadLambdaEnv } from '../app/lambda/env.js';
import { buildApiApp } from '../app/lambda/api.js';

type LambdaHandler = ReturnType<typeof handle>;
let ready: Promise<LambdaHandler> | undefined;

export async function handler(...args: Parameters<LambdaHandler>) {
  ready ??= loadLambdaEnv(process.env)
    .then(buildApiApp)
    .then(({ app }) => handle(app));
  return (await ready)(...args);
}
