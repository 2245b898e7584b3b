import { parentPort, workerData } from 'node:worker_threads';
import type { PortfolioRunSpec } from './runBacktest';
import { runCell } from './sweep';

/** A sweep thread: runs the cells the main thread sends, one at a time, and answers with their results. */
const thread = (workerData as { thread: number }).thread;
parentPort!.on('message', (msg: { index: number; spec: PortfolioRunSpec; cell: { name: string; settings: Record<string, string> } }) => {
  try {
    parentPort!.postMessage({ index: msg.index, result: runCell(msg.spec, msg.cell, `thread ${thread}`) });
  } catch (err) {
    parentPort!.postMessage({ index: msg.index, error: err instanceof Error ? err.message : String(err) });
  }
});
