/**
 * A progress bar for long runs on a terminal; silent when the stream is not a TTY (CI logs, pipes), so
 * redirected output holds only the results.
 */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, finish() {} };
  const started = Date.now();
  let last = 0;
  let shown = false;
  const width = 30;
  return {
    update(done, total) {
      const now = Date.now();
      // Redrawing more often than ten times a second only costs time.
      if (done < total && now - last < 100) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(frac * width);
      const elapsed = (now - started) / 1000;
      const eta = frac > 0 && frac < 1 ? ` eta ${Math.ceil((elapsed / frac) * (1 - frac))}s` : '';
      stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(frac * 100)}% ${done}/${total}${eta}   `);
      shown = true;
    },
    finish() {
      if (shown) stream.write('\n');
      shown = false;
    },
  };
}
