import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { HANDLER_STREAMING, installAwsLambdaGlobal } from '../support/lambda-runtime.js';

/**
 * The API image's handler (`dist/entry/lambda-api.handler`, template.yaml) as the Lambda Node.js
 * runtime loads it: the runtime defines `awslambda`, imports the module, and streams the response
 * only when the exported function carries the streaming mark — so the mark must be there at import,
 * before any invocation builds the app.
 */
describe('the API Lambda entry', () => {
  it('exports a handler the runtime recognises as response-streaming', async () => {
    const restore = installAwsLambdaGlobal();
    try {
      const { handler } = await import('../../src/entry/lambda-api.js');
      expect((handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING]).toBe('response');
      expect(handler.length).toBe(3); // (event, responseStream, context)
    } finally {
      restore();
    }
  });

  it('fails at import outside the Lambda runtime, naming the missing global', async () => {
    const fresh: string = '../../src/entry/lambda-api.js?no-runtime'; // a new module instance
    await expect(import(fresh)).rejects.toThrow(ConfigError);
  });
});
