#!/usr/bin/env node
// Runs one TypeScript file (scripts, benchmarks) through tsx: `node bin/run-ts.js file.ts args…`.
import { registerTypeScript } from './register-ts.js';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.js <file.ts> [args…]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...rest];
registerTypeScript();
await import(pathToFileURL(path.resolve(file)).href);
