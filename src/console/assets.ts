import { Hono } from 'hono';
import { CONSOLE_SCRIPT, CONSOLE_STYLE } from '../generated/console-assets.js';

/** The URLs pages link to (the name carries the content hash). */
export const SCRIPT_URL = `/console/assets/${CONSOLE_SCRIPT.name}`;
export const STYLE_URL = `/console/assets/${CONSOLE_STYLE.name}`;
export const ICON_URL = '/console/assets/icon.svg';

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b62d6"/>' +
  '<path d="M9 17a7 7 0 1 1 14 0" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>';

/**
 * `/console/assets/<name>`: the bundled script and stylesheet from the package, open (no session:
 * they hold nothing secret) and cached for a year, since a new build changes the name.
 */
export function assetRoutes(): Hono {
  const app = new Hono();
  for (const asset of [CONSOLE_SCRIPT, CONSOLE_STYLE]) {
    app.get(`/${asset.name}`, (c) =>
      c.body(asset.body, 200, {
        'content-type': asset.type,
        'cache-control': 'public, max-age=31536000, immutable',
      }),
    );
  }
  app.get('/icon.svg', (c) =>
    c.body(ICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }),
  );
  return app;
}
