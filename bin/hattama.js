#!/usr/bin/env node
// The `hattama` command runs the TypeScript sources directly through tsx, so `npm ci`
// needs no build step (docs/decisions/0001-run-typescript-directly.md).
import { registerTypeScript } from './register-ts.js';

registerTypeScript();
await import('../cli/hattama.ts');
