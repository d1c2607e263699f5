/**
 * Which ffmpeg to run: FFMPEG_PATH when configured, else the binary that
 * @ffmpeg-installer/ffmpeg ships inside its npm package, else `ffmpeg` on PATH.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);

export function resolveFfmpegPath(configured: string | undefined): string {
  if (configured) return configured;
  try {
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    if (fs.existsSync(installer.path)) return installer.path;
  } catch {
    // The optional platform package is missing on this platform: fall back to PATH.
  }
  return 'ffmpeg';
}
