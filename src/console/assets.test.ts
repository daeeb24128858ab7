import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConsoleAssets, renderAssetsModule } from '../../scripts/build-console.js';

describe('console assets', () => {
  it('src/generated/console-assets.ts is the bundle of src/console/client (run `npm run build`)', async () => {
    const generated = readFileSync(new URL('../generated/console-assets.ts', import.meta.url), 'utf8');
    expect(generated).toBe(renderAssetsModule(await buildConsoleAssets()));
  });
});
