import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { MapMarket } from '../../domain/backtest/market';
import { runPortfolio } from '../../domain/backtest/portfolio';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { runRehearsalDay, type RehearsalOptions, type RehearsalReport } from '../../scripts/commands/emulatorDay';
import { startLoopbackSmtp } from './loopbackSmtp';
import { connectTestTemporal, uniqueTaskQueue } from './temporalTestServer';
import { REPO_ROOT, quietRuntime, tempOutputDir, testConfig } from './tradingDayHarness';

/** The two paper days on committed fixtures: a daylight-saving day and a winter day (tests/fixtures/*\/README.md). */
export const DST_DAY = { date: '2025-04-09', replayDir: 'tests/fixtures/minute' } as const;
export const WINTER_DAY = { date: '2019-02-15', replayDir: 'tests/fixtures/winter' } as const;
export const VIX_CUT = 'tests/fixtures/vix/vix_daily_cut.csv';

export interface PaperDayRun {
  readonly report: RehearsalReport;
  /** Subjects of the alert e-mails the loopback SMTP server received. */
  readonly alertSubjects: readonly string[];
  /** Workflows of the rehearsal still running on the server after it returned (its account must not be). */
  readonly leftRunning: readonly string[];
  readonly config: BotConfig;
}

/**
 * One paper rehearsal day through the production wiring (scripts/commands/emulatorDay.ts) on the test
 * dev server, alerts to a real SMTP server on loopback.
 */
export async function runPaperDay(a: {
  readonly day: { readonly date: string; readonly replayDir: string };
  readonly speed: number;
  readonly bot?: Record<string, string>;
  readonly emulator?: RehearsalOptions['emulator'];
  readonly onEmulator?: RehearsalOptions['onEmulator'];
  /** Paper brokers (default alpaca). */
  readonly brokers?: RehearsalOptions['brokers'];
  readonly prefix: string;
}): Promise<PaperDayRun> {
  quietRuntime();
  const smtp = await startLoopbackSmtp();
  const temporal = await connectTestTemporal();
  try {
    const bot = testConfig(a.bot ?? {});
    const env = {
      ...defaultEnvConfig(),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(a.prefix),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: smtp.port,
      SMTP_USER: smtp.user,
      SMTP_PASS: smtp.pass,
      ALERT_EMAIL: 'ops@example.com',
    };
    const report = await runRehearsalDay({
      config: { bot, env },
      projectDir: REPO_ROOT,
      client: temporal.client,
      date: a.day.date,
      replayDir: a.day.replayDir,
      speed: a.speed,
      symbols: [],
      seed: 7,
      outputDir: tempOutputDir(a.prefix),
      emulator: { vixCsvPath: VIX_CUT, quoteSpreadBps: 0, ...a.emulator },
      onEmulator: a.onEmulator,
      brokers: a.brokers,
      log: () => undefined,
    });
    const leftRunning: string[] = [];
    for await (const w of temporal.client.workflow.list({ query: `TaskQueue STARTS_WITH "${env.TEMPORAL_TASK_QUEUE}" AND ExecutionStatus = "Running"` })) {
      leftRunning.push(w.workflowId);
    }
    return { report, alertSubjects: smtp.subjects(), config: bot, leftRunning };
  } finally {
    await temporal.close();
    await smtp.close();
  }
}

/** The backtester on the same bars with the emulator's fill model: the next bar's open, no slippage, no fees. */
export function backtestOf(day: { readonly date: string; readonly replayDir: string }, cfg: BotConfig): readonly TradeRecord[] {
  const data = loadMinuteBars(day.replayDir);
  return runPortfolio({
    market: new MapMarket(data.bars),
    cfg,
    strategies: ['open', 'mid', 'close'],
    vix: loadVixCsv(VIX_CUT),
    startDate: day.date,
    endDate: day.date,
    universe: null,
    execution: { fill: 'next_open', slippageBps: 0, feePerOrder: 0 },
    startingCash: 100_000,
  }).trades;
}
