import fs from 'node:fs';

/*
 * A cross-process lock file (O_CREAT|O_EXCL) around the ledger's read-check-append, so that two worker
 * processes, or a retried activity overlapping a slow first attempt, cannot both append the same posting.
 * Inside one process the critical section is synchronous, so it cannot interleave with itself.
 */

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepBuf, 0, 0, ms);
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

/** Runs `fn` holding `<file>.lock`. A lock left by a dead process, or older than staleMs, is broken. */
export function withFileLockSync<T>(file: string, fn: () => T, opts: { timeoutMs?: number; staleMs?: number } = {}): T {
  const lock = `${file}.lock`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const staleMs = opts.staleMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, `${process.pid} ${new Date().toISOString()}\n`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let stale = false;
      try {
        const [pidText] = fs.readFileSync(lock, 'utf8').split(' ');
        const age = Date.now() - fs.statSync(lock).mtimeMs;
        const pid = Number(pidText);
        // Our own pid on a lock we do not hold (the section is synchronous) means a reused pid.
        stale = pid === process.pid || !pidAlive(pid) || age > staleMs;
      } catch {
        // Removed between our open and read: just try again.
      }
      if (stale) {
        try {
          fs.rmSync(lock, { force: true });
        } catch {
          // Another process broke it first.
        }
        continue;
      }
      if (Date.now() > deadline) throw new LockTimeoutError(`${lock} is held by another writer`);
      sleepMs(20);
    }
  }
  try {
    return fn();
  } finally {
    fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
  }
}
