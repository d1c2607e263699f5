/**
 * Wakes the recorder when ffmpeg appends to a file it lists closed segments in, instead
 * of polling it: a node records for hours, and a stat of every list four times a second
 * cost more CPU than the spool's own work on each segment (bench/capture.bench.ts).
 *
 * Each file is created empty first when missing, so the watch (inotify on Linux) can be
 * set before ffmpeg starts; ffmpeg opens it for writing with O_TRUNC, which keeps the
 * inode and so the watch. Watching the directory instead would wake on every packet
 * ffmpeg writes into the segment beside the list.
 */
import fs from 'node:fs';

export interface AppendWatch {
  /** Whether every file is watched; a caller polls faster when not. */
  readonly complete: boolean;
  close(): void;
}

export function watchAppends(
  files: readonly string[],
  onAppend: () => void,
  onError: (file: string, error: unknown) => void,
): AppendWatch {
  const watchers: fs.FSWatcher[] = [];
  let complete = true;
  for (const file of files) {
    try {
      fs.closeSync(fs.openSync(file, 'a'));
      const watcher = fs.watch(file, { persistent: false }, () => onAppend());
      // A watch that fails later (the file removed) is left to the caller's slow poll.
      watcher.on('error', (error) => onError(file, error));
      watchers.push(watcher);
    } catch (error) {
      // No inotify watches left, or a file system without them: the caller polls.
      complete = false;
      onError(file, error);
    }
  }
  return {
    complete,
    close: () => {
      for (const w of watchers) w.close();
    },
  };
}
