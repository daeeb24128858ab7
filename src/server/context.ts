import type { ApiPrincipal } from './auth.js';

/** Hono environment of the API app: bindings from the Lambda adapter, the authenticated principal. */
export interface ApiEnv {
  Bindings: { requestContext?: unknown };
  Variables: { principal: ApiPrincipal };
}
