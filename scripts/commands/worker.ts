import { leafCommand } from './command';

/** `worker`: the worker process, as `npm run worker` (workers/main.ts); it runs until stopped. */
export const workerCommand = leafCommand(
  { name: 'worker', summary: 'run the worker (as npm run worker): every workflow and activity, until stopped', options: {} },
  async () => {
    // Importing it starts it; it exits the process itself on a failure or a signal.
    await import('../../workers/main');
    return new Promise<number>(() => undefined);
  },
);
