import { parentPort, workerData } from 'node:worker_threads';
import { symbolsToLoad } from './runBacktest';
import { columnsFromShared, pickColumns } from './sharedBars';
import { runCell } from './sweepCell';
import type { CellJobAnswer, CellJobMessage } from './sweepThreadPool';

/**
 * A sweep thread: runs the cells the main thread sends, one at a time, and answers with their results.
 * With shared bars, the cell runs on views of the shared buffer (its own symbols picked out), never a copy.
 */
const thread = (workerData as { thread: number }).thread;
parentPort!.on('message', (msg: CellJobMessage) => {
  let answer: CellJobAnswer;
  try {
    const bars = msg.bars === null ? undefined : pickColumns(columnsFromShared(msg.bars), symbolsToLoad(msg.spec));
    answer = { id: msg.id, result: runCell(msg.spec, msg.cell, `thread ${thread}`, bars) };
  } catch (err) {
    answer = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(answer);
});
