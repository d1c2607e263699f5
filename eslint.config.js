// Lint: typescript-eslint's recommended rules plus the module layers of
// docs/architecture.md. Imports point down the order
// cli → (web, recorder, transcriber, protocol) → court → media → storage → core,
// a module is entered only through its index.ts, and the courtroom's recorder node never
// reaches the court's rules or the catalog behind them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

/** Layers from the top; a module may import only modules on a lower layer. */
const LAYERS = [
  ['cli'],
  ['web', 'recorder', 'transcriber', 'protocol'],
  ['court'],
  ['media'],
  ['storage'],
  ['core'],
];
/** Imports a lower layer would allow but the design forbids: [importer, imported, why]. */
const FORBIDDEN = [
  ['recorder', 'court', 'the courtroom recorder node talks to the hub over ws, never to the court module'],
];
const MODULES = LAYERS.flat();
const layerOf = (m) => LAYERS.findIndex((l) => l.includes(m));

const zones = [];
for (const target of MODULES) {
  for (const from of MODULES) {
    if (from === target) continue;
    const forbidden = FORBIDDEN.find(([t, f]) => t === target && f === from);
    if (forbidden) {
      zones.push({
        target: `./${target}`,
        from: `./${from}`,
        message: `${target}/ may not import ${from}/: ${forbidden[2]}.`,
      });
    } else if (layerOf(from) <= layerOf(target)) {
      zones.push({
        target: `./${target}`,
        from: `./${from}`,
        message: `${target}/ may not import ${from}/: imports point down the order cli → web/recorder/transcriber/protocol → court → media → storage → core (docs/architecture.md).`,
      });
    } else {
      zones.push({
        target: `./${target}`,
        from: `./${from}`,
        except: ['./index.ts'],
        message: `import ${from}/index.ts, not ${from}'s inner files: a module's public surface is its index.ts (docs/architecture.md).`,
      });
    }
  }
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'bench/results/**', 'test/artifacts/**', '**/*.js.map'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import/no-restricted-paths': ['error', { zones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'read configuration through core/config.ts, the only reader of process.env',
        },
      ],
    },
  },
  {
    // The adapters reach evidence through the court's services only: no repository in web/.
    files: ['web/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/storage/index.ts'],
              importNamePattern: '^(Repositories|\\w+Repository|cachedReads|createRepositories)$',
              message:
                'web/ reaches the catalog through the court module\'s services, never a repository (docs/architecture.md, "One door to the evidence").',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests and their support code may reach across modules and read the test environment.
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'import/no-restricted-paths': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    files: ['core/config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
);
