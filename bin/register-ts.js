// Lets this process import the TypeScript sources directly (decision 0001): tsx's hooks,
// then ours, which stop tsx's esbuild service when start-up is over (esbuild-idle-hooks.js).
import { register as registerTsx } from 'tsx/esm/api';
import { register } from 'node:module';

export function registerTypeScript() {
  registerTsx();
  register('./esbuild-idle-hooks.js', import.meta.url);
}
