import fs from 'node:fs';
import path from 'node:path';

export type ControlAction = 'start' | 'stop';

/**
 * The original design's control files: CONTROL_DIR/control_start.txt and control_stop.txt. When one
 * appears it is turned into the matching Temporal action (start a day now / stop the running day) and
 * removed, so it acts once. Polled, because file watchers miss events on some filesystems.
 */
export function watchControlFiles(
  dir: string,
  act: (action: ControlAction, note: string) => Promise<void>,
  opts: { intervalMs?: number; log?: (s: string) => void } = {},
): () => void {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const action of ['stop', 'start'] as const) {
        const file = path.join(dir, `control_${action}.txt`);
        if (!fs.existsSync(file)) continue;
        const note = fs.readFileSync(file, 'utf8').trim().slice(0, 200);
        fs.rmSync(file, { force: true });
        try {
          await act(action, note);
          opts.log?.(`control file ${path.basename(file)}: ${action} done`);
        } catch (err) {
          opts.log?.(`control file ${path.basename(file)}: ${action} failed: ${(err as Error).message}`);
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.intervalMs ?? 2000);
  return () => clearInterval(timer);
}
