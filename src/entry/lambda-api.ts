// Agent HTTP API Lambda (container image, Function URL with InvokeMode RESPONSE_STREAM): the handler
// is marked for response streaming at import; secrets, clients and the app are built on first use.
import { loadLambdaEnv } from '../app/lambda/env.js';
import { buildApiApp } from '../app/lambda/api.js';
import { lambdaStreamingRuntime, streamingApiHandler } from '../app/lambda/stream.js';

export const handler = streamingApiHandler(lambdaStreamingRuntime(), async () => {
  const { app } = await buildApiApp(await loadLambdaEnv(process.env));
  return app;
});
