import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ (see /work/shared/HOUSE_STYLE.md, "The layout"): which top-level folders a
 * folder must not import, checked on static imports, re-exports and dynamic `import()`. A folder
 * not listed may import anything but the composition root and what sits on top of it.
 */
const SRC_FOLDERS = readdirSync(new URL('./src/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const TOP = ['app', 'cli', 'entry'];
const except = (...allowed) => SRC_FOLDERS.filter((folder) => !allowed.includes(folder));
const LAYERS = {
  core: { forbidden: except('core'), why: 'core/ imports nothing else' },
  aws: {
    forbidden: except('core', 'config', 'aws'),
    why: 'aws/ is plumbing: it imports only core/ and config/',
  },
  usage: {
    forbidden: except('core', 'aws', 'usage'),
    why: 'usage/ is a leaf: it imports only core/ and aws/',
  },
  queue: { forbidden: [...TOP, 'telegram', 'server'], why: 'queue/ carries work items and knows no channel' },
  telegram: {
    forbidden: [...TOP, 'sessions', 'usage', 'server'],
    why: 'telegram/ declares the interfaces it needs (worker-types.ts) and the app fills them',
  },
  server: {
    forbidden: [...TOP, 'console'],
    why: 'server/ is the API; the console is a face on it, mounted by app/',
  },
  app: { forbidden: ['cli', 'entry'], why: 'app/ is the composition root; cli/ and entry/ sit on it' },
  cli: { forbidden: ['entry'], why: 'entry/ files are process entry points; nothing imports them' },
  entry: { forbidden: [], why: 'entry/ may import anything' },
};

/** One flat-config entry per src/ folder with its forbidden imports. */
function layerRules(folder, { forbidden, why }, extra = {}) {
  const names = forbidden.filter((name) => name !== folder);
  const regex = `^(\\.\\./)+(${names.join('|')})(/|$)`;
  const message = `${why} (layer rule in eslint.config.js)`;
  return {
    files: [`src/${folder}/**/*.{ts,tsx}`],
    ...extra,
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`, message },
      ],
    },
  };
}

const layers = SRC_FOLDERS.flatMap((folder) => {
  const layer = LAYERS[folder] ?? { forbidden: TOP, why: `${folder}/ sits below the composition root` };
  if (layer.forbidden.length === 0) return [];
  if (folder !== 'usage') return [layerRules(folder, layer)];
  // usage/'s own tests may open the sessions' database file or table, which usage shares.
  return [
    layerRules(folder, layer),
    layerRules(
      folder,
      { ...layer, forbidden: except('core', 'aws', 'usage', 'sessions') },
      {
        files: ['src/usage/**/*.test.ts'],
      },
    ),
  ];
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/', 'agent-config/**/scripts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  // The console's browser script (bundled by scripts/build-console.ts): the DOM, not Node.
  { files: ['src/console/client/**/*.ts'], languageOptions: { globals: globals.browser } },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...layers,
);
