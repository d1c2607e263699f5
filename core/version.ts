import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../package.json') as { version: string };

/** Hattama's version, from package.json. */
export const HATTAMA_VERSION: string = pkg.version;
