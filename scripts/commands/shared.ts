import os from 'node:os';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { dayWorkflowId } from '../../workflows/tradingDayApi';
import { reportProcessFailure, type FailureOutput } from '../../workers/processFailure';
import { UsageError, usageErrorText } from './args';

export const PROJECT_DIR = process.env.TRADEBOT_HOME ?? process.cwd();

/** The `--date` value (today, UTC, when absent), checked to be a real YYYY-MM-DD date. */
export function dateOption(text: string | undefined, name = 'date'): string {
  const v = text ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    throw new UsageError(`--${name}=${v} is not a date (expected YYYY-MM-DD)`);
  }
  return v;
}

/** A comma-separated list of symbols, upper-cased, blanks dropped. */
export function symbolList(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
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

/** Prints a failure as one clear message (never a stack trace) and returns the exit code; a usage error exits 2. */
export function reportFailure(err: unknown, err_: FailureOutput = process.stderr): number {
  if (err instanceof UsageError) {
    err_.write(usageErrorText(err));
    return 2;
  }
  return reportProcessFailure(err, err_);
}
