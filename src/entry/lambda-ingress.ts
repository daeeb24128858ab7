// Telegram webhook Lambda (zip, esbuild). Cold-start cache: secrets and the bot are built once.
import { loadLambdaEnv } from '../app/lambda/env.js';
import { buildIngressHandler, type IngressHandler } from '../app/lambda/ingress.js';
import type { ApiGatewayV2Event } from '../telegram/ingress/lambda.js';

let ready: Promise<IngressHandler> | undefined;

export async function handler(event: ApiGatewayV2Event) {
  ready ??= loadLambdaEnv(process.env).then(buildIngressHandler);
  return (await ready)(event);
}
