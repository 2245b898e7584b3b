import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { isConfigError } from '../../domain/config/configError';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { getStrategy } from '../../domain/strategies/strategies';
import { connectClient } from '../../workers/temporal/connection';
import { portOpen } from '../temporal/devServer';
import { SCHEDULE_ID } from '../../workers/temporal/schedule';
import { dashboardCheck } from '../../dashboard/check';
import { createLiveWiring, type LiveWiring } from '../../activities/broker/brokerFactory';
import {
  PROBE_SYMBOL,
  brokerAccountCheck,
  exchangeClockCheck,
  hasBrokerClock,
  marketDataCheck,
  screeningProviderCheck,
  type ReadinessResult,
} from '../../activities/checks/readinessChecks';
import { liveGateStatus } from '../../activities/liveGate';
import { verifySmtp } from '../../activities/notify/notifier';
import { readSymbolListFile } from '../../activities/screening/symbolListFile';
import { redactText, secretValuesOf } from '../../domain/config/secrets';
import { leafCommand, runCommandLine, type CommandIo, type Writable } from './command';
import { PROJECT_DIR } from './shared';
import { strategyEnabled } from '../../domain/config/strategySettings';
import { STRATEGY_NAMES } from '../../domain/vocabulary';
import { COMMAND_SUMMARIES } from './catalog';

export type CheckOutcome = 'pass' | 'fail' | 'skip';
export interface CheckItem {
  readonly n: number;
  readonly title: string;
  readonly outcome: CheckOutcome;
  readonly detail: string;
}

/**
 * `check`: every startup self-check and the pre-deployment checklist, item by item.
 * Exit code 1 when any item fails; `skip` marks items that do not apply to this configuration.
 */
export const checkCommand = leafCommand(
  {
    name: 'check',
    summary: COMMAND_SUMMARIES.check,
    description: 'exit code 1 when any item fails',
    options: { json: { type: 'boolean', description: 'print the items as JSON: { passed, failed, items: [{ n, title, outcome, detail }] }' } },
  },
  async ({ values }, io: CommandIo) => printChecklist(io.stdout ?? process.stdout, PROJECT_DIR, values.json === true),
);

export async function runCheckCommand(argv: string[], out: Writable = process.stdout): Promise<number> {
  return runCommandLine(checkCommand, argv, { stdout: out }, '');
}

async function printChecklist(out: Writable, cwd: string, json: boolean): Promise<number> {
  const items = await runChecklist(cwd);
  const failedCount = items.filter((i) => i.outcome === 'fail').length;
  if (json) {
    out.write(`${JSON.stringify({ passed: failedCount === 0, failed: failedCount, items }, null, 2)}\n`);
    return failedCount === 0 ? 0 : 1;
  }
  for (const i of items) out.write(`${String(i.n).padStart(2)}. [${i.outcome.toUpperCase()}] ${i.title}: ${i.detail}\n`);
  const failed = items.filter((i) => i.outcome === 'fail').length;
  out.write(failed === 0 ? 'all checks passed\n' : `${failed} check(s) failed\n`);
  return failed === 0 ? 0 : 1;
}

export interface ChecklistOptions {
  /** Market time now (a rehearsal against the emulator has its own); default the wall clock. */
  readonly nowMs?: () => number;
}

export async function runChecklist(cwd: string, opts: ChecklistOptions = {}): Promise<CheckItem[]> {
  const items: CheckItem[] = [];
  const add: AddItem = (n, title, outcome, detail) => items.push({ n, title, outcome, detail });

  let config: LoadedConfig | null = null;
  try {
    config = await loadConfig({ cwd });
  } catch (err) {
    const detail = isConfigError(err) ? err.problems.join('; ') : (err as Error).message;
    add(2, '.env_bot valid, VERSION_TAG equals VERSION.md', 'fail', detail);
  }
  const envFile = path.join(cwd, '.env');
  if (!config) {
    add(1, '.env present with the keys the enabled features need', fs.existsSync(envFile) ? 'skip' : 'fail', 'configuration did not load');
    return items.sort((a, b) => a.n - b.n);
  }
  const { env, bot } = config;

  const missing: string[] = [];
  if (env.ALERT_EMAIL && (!env.SMTP_HOST || !env.SMTP_PORT)) missing.push('SMTP_HOST/SMTP_PORT (ALERT_EMAIL is set)');
  if (!bot.TEST_MODE && !env.ENCRYPTION_KEY) missing.push('ENCRYPTION_KEY (needed for encrypted backups in live mode)');
  if (!fs.existsSync(envFile)) {
    add(1, '.env present with the keys the enabled features need', bot.TEST_MODE ? 'pass' : 'fail', bot.TEST_MODE ? 'no .env: TEST_MODE defaults apply' : 'no .env file');
  } else {
    add(1, '.env present with the keys the enabled features need', missing.length === 0 ? 'pass' : 'fail', missing.length === 0 ? 'ok' : `missing ${missing.join(', ')}`);
  }
  add(2, '.env_bot valid, VERSION_TAG equals VERSION.md', 'pass', `${config.sources.envBot ?? 'defaults'}; VERSION_TAG=${bot.VERSION_TAG}`);

  // 3. Brokers, data provider, Temporal and the Schedule.
  if (bot.TEST_MODE) {
    const folder = path.resolve(cwd, bot.TEST_MODE_REPLAY_DIR);
    try {
      const data = loadMinuteBars(folder);
      add(3, 'broker authenticates; data provider answers', data.rowCount > 0 ? 'pass' : 'fail', `simulated broker; replay data ${folder}: ${data.bars.size} symbols, ${data.rowCount} bars`);
    } catch (err) {
      add(3, 'broker authenticates; data provider answers', 'fail', `replay data ${folder}: ${(err as Error).message}`);
    }
  } else {
    await addLiveReadiness(config, cwd, opts.nowMs ?? (() => Date.now()), add);
  }
  const [host, port] = [env.TEMPORAL_ADDRESS.slice(0, env.TEMPORAL_ADDRESS.lastIndexOf(':')), Number(env.TEMPORAL_ADDRESS.split(':').pop())];
  if (!(await portOpen(host, port, 2000))) {
    add(3, 'Temporal server reachable and the Schedule exists', 'fail', `nothing answers at ${env.TEMPORAL_ADDRESS} (npm start starts the dev server)`);
  } else {
    try {
      const client = await connectClient(env);
      try {
        const d = await client.schedule.getHandle(SCHEDULE_ID).describe();
        add(3, 'Temporal server reachable and the Schedule exists', 'pass', `${env.TEMPORAL_ADDRESS}; schedule ${SCHEDULE_ID}${d.state.paused ? ' (paused)' : ''}`);
      } finally {
        await client.connection.close();
      }
    } catch (err) {
      add(3, 'Temporal server reachable and the Schedule exists', 'fail', `${env.TEMPORAL_ADDRESS}: ${(err as Error).message}`);
    }
  }

  // 4. Strategies.
  const problems: string[] = [];
  for (const s of STRATEGY_NAMES) {
    if (!strategyEnabled(bot, s)) continue;
    const r = getStrategy(s).selfCheck(bot, { vixPrevClose: null });
    if (!r.ok) problems.push(`${s}: ${r.problems.join('; ')}`);
  }
  add(4, 'every enabled strategy selfCheck() passes; sequence and override known', problems.length === 0 ? 'pass' : 'fail', problems.length === 0 ? `sequence ${bot.STRATEGY_SEQUENCE.join(',')}${bot.STRATEGY_OVERRIDE ? `, override ${bot.STRATEGY_OVERRIDE}` : ''}` : problems.join(' | '));

  // 5. Routing and writable folders.
  const mode = outputMode(routingFlagsOf(bot));
  const notWritable = ['output', 'output/ledgers', 'backups'].filter((d) => !writable(path.join(cwd, d)));
  add(5, 'output routing and writable folders', notWritable.length === 0 && !(bot.TEST_MODE && mode === 'live') ? 'pass' : 'fail', `outputs go to _${mode}${notWritable.length ? `; not writable: ${notWritable.join(', ')}` : ''}`);

  // 6-9. Features that arrive with later issues are reported as such, not as passes.
  add(6, 'ledger export configured (or explicitly off)', bot.LEDGER_EXPORT_MODE === 'off' ? 'pass' : env.MANAGER_API_URL ? 'pass' : 'skip', bot.LEDGER_EXPORT_MODE === 'off' ? 'LEDGER_EXPORT_MODE=off' : env.MANAGER_API_URL ? `Manager.io API ${env.MANAGER_API_URL}` : 'file export only (no MANAGER_API_URL)');
  if (env.ALERT_EMAIL && env.SMTP_HOST && env.SMTP_PORT) {
    try {
      await verifySmtp({ env });
      add(7, 'SMTP reachable when alerts are enabled', 'pass', `${env.SMTP_HOST}:${env.SMTP_PORT} greets${env.SMTP_USER ? ` and accepts the login of ${env.SMTP_USER}` : ''}`);
    } catch (err) {
      add(7, 'SMTP reachable when alerts are enabled', 'fail', `${env.SMTP_HOST}:${env.SMTP_PORT}: ${redactText((err as Error).message, [...secretValuesOf(env)])}`);
    }
  } else add(7, 'SMTP reachable when alerts are enabled', 'skip', 'alerts off (no ALERT_EMAIL)');
  const gate = liveGateStatus(path.join(cwd, 'output'), bot, env);
  add(8, 'passing TEST_MODE dry run before live trading', !gate.required ? 'skip' : gate.ok ? 'pass' : 'fail', gate.message);
  const d = dashboardCheck(env);
  add(9, 'dashboard requires login and is rate limited', d.status, d.detail);

  // 10. Secrets out of git.
  add(10, 'no secret tracked; .env, .env_bot, .env_bot.enc git-ignored', ...secretsOutOfGit(cwd));
  return items.sort((a, b) => a.n - b.n);
}

/**
 * TEST_MODE=false: the real requests a paper or live day's startup makes (activities/checks/
 * readinessChecks.ts): each broker's account, a bar request, Finnhub, the broker's clock and calendar.
 */
async function addLiveReadiness(config: LoadedConfig, cwd: string, nowMs: () => number, add: AddItem): Promise<void> {
  const { bot, env } = config;
  let wiring: LiveWiring;
  try {
    wiring = await createLiveWiring({ bot, env, cwd, warn: () => undefined });
  } catch (err) {
    add(3, 'broker authenticates; data provider answers', 'fail', (err as Error).message);
    return;
  }
  try {
    for (const [name, broker] of wiring.brokers) addResult(add, 3, `broker ${name} authenticates; account active`, await brokerAccountCheck(broker));
    const symbol = probeSymbol(cwd, bot.SYMBOL_LIST_PATH);
    const now = nowMs();
    addResult(add, 3, 'data provider answers a real request', await marketDataCheck(wiring.marketData, { symbol, nowMs: now }));
    addResult(add, 3, 'Finnhub answers', await screeningProviderCheck(wiring.screening, { symbol, date: new Date(now).toISOString().slice(0, 10) }));
    const clockBroker = [...wiring.brokers.values()].find((b) => hasBrokerClock(b));
    if (clockBroker && hasBrokerClock(clockBroker)) addResult(add, 3, 'clock and calendar agree with the exchange calendar', await exchangeClockCheck(clockBroker, now));
    else add(3, 'clock and calendar agree with the exchange calendar', 'skip', 'no enabled broker has a market clock API (IBKR): the exchange calendar decides alone');
  } finally {
    await wiring.close();
  }
}

type AddItem = (n: number, title: string, outcome: CheckOutcome, detail: string) => void;

function addResult(add: AddItem, n: number, title: string, r: ReadinessResult): void {
  add(n, title, r.ok ? 'pass' : 'fail', r.detail);
}

/** The first symbol of the list the sessions trade, else the probe symbol. */
function probeSymbol(cwd: string, listPath: string): string {
  try {
    return (listPath.trim() === '' ? [] : readSymbolListFile(listPath, cwd))[0] ?? PROBE_SYMBOL;
  } catch {
    return PROBE_SYMBOL;
  }
}

function writable(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function secretsOutOfGit(cwd: string): [CheckOutcome, string] {
  try {
    const tracked = execFileSync('git', ['ls-files', '.env', '.env_bot', '.env_bot.enc'], { cwd, encoding: 'utf8' }).trim();
    if (tracked) return ['fail', `tracked: ${tracked.split('\n').join(', ')}`];
    const ignored = execFileSync('git', ['check-ignore', '.env', '.env_bot', '.env_bot.enc'], { cwd, encoding: 'utf8' }).trim().split('\n');
    return ignored.length === 3 ? ['pass', 'git-ignored and untracked'] : ['fail', 'not all of .env, .env_bot, .env_bot.enc are git-ignored'];
  } catch {
    return ['skip', 'not a git checkout'];
  }
}
