import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PortfolioRunSpec } from './runBacktest';
import type { SharedBars } from './sharedBars';
import type { CellResult } from './sweepCell';

/**
 * A pool of long-lived sweep threads: each thread starts (and, from TypeScript sources, compiles and warms
 * its JIT) once, then runs cell after cell. Bars come with each job as shared memory (sharedBars.ts), so
 * a thread maps the one copy instead of loading its own. Idle threads do not keep the process alive.
 */

export interface CellJob {
  readonly spec: PortfolioRunSpec;
  readonly cell: { readonly name: string; readonly settings: Readonly<Record<string, string>> };
  /** The bars to run on (a superset of the cell's symbols); null: the thread loads them itself. */
  readonly bars: SharedBars | null;
}

/** What the main thread posts to a sweep thread, and what the thread answers. */
export interface CellJobMessage extends CellJob {
  readonly id: number;
}
export interface CellJobAnswer {
  readonly id: number;
  readonly result?: CellResult;
  readonly error?: string;
}

interface PendingJob {
  readonly job: CellJob;
  readonly resolve: (result: CellResult) => void;
  readonly reject: (err: Error) => void;
}

interface PoolThread {
  readonly worker: Worker;
  current: PendingJob | null;
}

/**
 * A sweep worker thread. Run from TypeScript sources (tsx), the thread registers tsx's require hook itself:
 * threads do not inherit every loader a parent process was started with.
 */
export function startSweepThread(thread: number): Worker {
  const ts = __filename.endsWith('.ts');
  const file = path.join(__dirname, ts ? 'sweepThread.ts' : 'sweepThread.js');
  const code = `${ts ? "require('tsx/cjs/api').register();" : ''}require(${JSON.stringify(file)});`;
  return new Worker(code, { eval: true, workerData: { thread } });
}

export class SweepThreadPool {
  private readonly threads: PoolThread[] = [];
  private readonly waiting: PendingJob[] = [];
  private nextId = 1;
  private closed = false;

  /** `size`: threads at most, started as jobs arrive. */
  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a sweep thread pool needs at least one thread, not ${size}`);
  }

  /** Runs one cell on the next free thread. */
  run(job: CellJob): Promise<CellResult> {
    if (this.closed) return Promise.reject(new Error('the sweep thread pool is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every thread; jobs not finished are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const stopped = new Error('the sweep thread pool was closed before the cell finished');
    for (const p of this.waiting.splice(0)) p.reject(stopped);
    const threads = this.threads.splice(0);
    for (const t of threads) t.current?.reject(stopped);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const free = this.threads.find((t) => t.current === null) ?? this.startThread();
      if (free === null) return;
      this.assign(free, this.waiting.shift()!);
    }
  }

  private startThread(): PoolThread | null {
    if (this.threads.length >= this.size) return null;
    const thread: PoolThread = { worker: startSweepThread(this.threads.length + 1), current: null };
    thread.worker.on('message', (answer: CellJobAnswer) => this.finish(thread, answer));
    // A thread that dies (out of memory, a crash) fails its cell and leaves the pool; the next job starts a new one.
    thread.worker.on('error', (err) => this.drop(thread, err));
    thread.worker.on('exit', (code) => this.drop(thread, new Error(`a sweep thread exited (code ${code})`)));
    this.threads.push(thread);
    return thread;
  }

  private assign(thread: PoolThread, pending: PendingJob): void {
    thread.current = pending;
    thread.worker.ref();
    const message: CellJobMessage = { id: this.nextId++, ...pending.job };
    thread.worker.postMessage(message);
  }

  private finish(thread: PoolThread, answer: CellJobAnswer): void {
    const pending = thread.current;
    thread.current = null;
    thread.worker.unref();
    if (pending !== null) {
      if (answer.error !== undefined) pending.reject(new Error(answer.error));
      else pending.resolve(answer.result!);
    }
    this.dispatch();
  }

  private drop(thread: PoolThread, err: Error): void {
    const at = this.threads.indexOf(thread);
    if (at < 0) return;
    this.threads.splice(at, 1);
    thread.current?.reject(err);
    thread.current = null;
    if (!this.closed) this.dispatch();
  }
}
