import { isConfigError } from '../domain/config/configError';

/** Where a failure is printed: process.stderr, or a test's capture. */
export interface FailureOutput {
  write(chunk: string): unknown;
}

/**
 * Prints a process's failure as one clear message (never a stack trace) and returns the exit code.
 * The worker entry uses it as is; the CLI adds its usage errors in front (scripts/commands/shared.ts).
 */
export function reportProcessFailure(err: unknown, out: FailureOutput = process.stderr): number {
  if (isConfigError(err)) {
    out.write(`configuration problems:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 1;
  }
  const e = err as Error;
  const cause = e?.cause instanceof Error ? ` (cause: ${e.cause.message})` : '';
  out.write(`error: ${e?.message ?? String(err)}${cause}\n`);
  return 1;
}
