// Lint: typescript-eslint's recommended rules plus the module boundaries of DESIGN.md.
// Imports point down the order cli → (web, recorder, transcriber, protocol) → storage → core,
// and a module is entered only through its index.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

/** Layers from the top; a module may import only modules on a lower layer. */
const LAYERS = [['cli'], ['web', 'recorder', 'transcriber', 'protocol'], ['storage'], ['core']];
const MODULES = LAYERS.flat();
const layerOf = (m) => LAYERS.findIndex((l) => l.includes(m));

const zones = [];
for (const target of MODULES) {
  for (const from of MODULES) {
    if (from === target) continue;
    if (layerOf(from) <= layerOf(target)) {
      zones.push({
        target: `./${target}`,
        from: `./${from}`,
        message: `${target}/ may not import ${from}/: imports point down the order cli → web/recorder/transcriber/protocol → storage → core (DESIGN.md).`,
      });
    } else {
      zones.push({
        target: `./${target}`,
        from: `./${from}`,
        except: ['./index.ts'],
        message: `import ${from}/index.ts, not ${from}'s inner files: a module's public surface is its index.ts (STYLE.md).`,
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
