/**
 * The logger every workflow bundle is built with (the trading worker, the sweep worker, the tests):
 * webpack's progress lines are dropped, its warnings and errors are printed.
 */
export const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
