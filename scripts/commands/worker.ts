import { leafCommand } from './command';
import { COMMAND_SUMMARIES } from './catalog';

/** `worker`: the worker process, as `npm run worker` (workers/main.ts); it runs until stopped. */
export const workerCommand = leafCommand(
  { name: 'worker', summary: COMMAND_SUMMARIES.worker, options: {} },
  async () => {
    // Importing it starts it; it exits the process itself on a failure or a signal.
    await import('../../workers/main');
    return new Promise<number>(() => undefined);
  },
);
