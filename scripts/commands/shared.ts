import os from 'node:os';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { isConfigError } from '../../domain/config/configError';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { dayWorkflowId } from '../../workflows/tradingDayApi';

export const PROJECT_DIR = process.env.TRADEBOT_HOME ?? process.cwd();

/** Parses `--key value`, `--key=value` and bare flags; positionals are kept in order. */
export function parseArgs(argv: readonly string[]): { flags: Map<string, string | true>; positionals: string[] } {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.set(a.slice(2), argv[++i]);
      else flags.set(a.slice(2), true);
    } else positionals.push(a);
  }
  return { flags, positionals };
}

export class UsageError extends Error {}

export function stringFlag(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function dateFlag(flags: Map<string, string | true>, name = 'date'): string {
  const v = stringFlag(flags, name) ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    throw new UsageError(`--${name}=${v} is not a date (expected YYYY-MM-DD)`);
  }
  return v;
}

export async function loadProjectConfig(): Promise<LoadedConfig> {
  return loadConfig({ cwd: PROJECT_DIR });
}

export function dayIdFor(config: LoadedConfig, date: string): string {
  return dayWorkflowId(outputMode(routingFlagsOf(config.bot)), date);
}

export function operator(): string {
  return `cli:${process.env.USER ?? os.userInfo().username}`;
}

/** Prints a failure as one clear message (never a stack trace) and returns the exit code. */
export function reportFailure(err: unknown, err_: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof UsageError) {
    err_.write(`usage error: ${err.message}\n`);
    return 2;
  }
  if (isConfigError(err)) {
    err_.write(`configuration problems:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 1;
  }
  const e = err as Error;
  const cause = e?.cause instanceof Error ? ` (cause: ${e.cause.message})` : '';
  err_.write(`error: ${e?.message ?? String(err)}${cause}\n`);
  return 1;
}
