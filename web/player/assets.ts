/**
 * Files the player page loads from the hub. hls.js comes from its npm package (Apache-2.0),
 * served by the hub itself so the page needs no CDN and no build step.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Absolute path of the minified hls.js browser bundle (`hls.js/dist/hls.min.js`). */
export function hlsJsFile(): string {
  return require.resolve('hls.js/dist/hls.min.js');
}
