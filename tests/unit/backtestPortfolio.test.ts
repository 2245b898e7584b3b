import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadColumns } from '../../activities/backtest/barCache';
import { backtestOutputFiles, writeBacktestOutputs } from '../../activities/backtest/outputs';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { TRADE_HISTORY_COLUMNS } from '../../activities/outputs/tradeHistory';
import { ColumnarMarket } from '../../domain/backtest/columnar';
import { MapMarket } from '../../domain/backtest/market';
import { computeMetrics } from '../../domain/backtest/metrics';
import { runPortfolio, type PortfolioInput } from '../../domain/backtest/portfolio';
import type { ExecutionModel } from '../../domain/backtest/executionModel';
import { screeningFacts, sessionCloseOf, type SessionClose } from '../../domain/screening/replayScreeningFacts';
import { replayFactsFromBars } from '../../activities/screening/screenerActivities';
import { addDays } from '../../domain/market/nyTime';
import { botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import type { Bar } from '../../domain/market/bar';
import { runBacktestCommand } from '../../scripts/commands/backtest';
import { SHARED_MINUTE_DIR, SHARED_VIX_FILE, sharedMissing } from '../helpers/sharedData';

/**
 * Portfolio mode on synthetic days whose every fill, size and PnL is computed by hand in the comments,
 * plus the rules between sessions (one trade per ticker, daily loss limit), screening, and on real bars
 * the equality of the two market forms and the command's outputs.
 */

const dir = mkdtempSync(join(tmpdir(), 'tradebot-btportfolio-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Months of bars (45-day screening windows, six weeks of portfolio days): only the whole shared set has
// them; the same comparisons also run on the committed replay days, which a bare clone has.
const SHARED_MINUTE = SHARED_MINUTE_DIR;
const SHARED_VIX = SHARED_VIX_FILE;
const WHOLE_SET_MISSING = sharedMissing('needs months of bars from the whole development set');
const DAY_BARS_DIR = join(__dirname, '..', 'fixtures', 'days', 'minute');
const DAY_VIX_CSV = join(__dirname, '..', 'fixtures', 'days', 'vix_daily.csv');
const FIXTURE_MINUTE = join(__dirname, '..', 'fixtures', 'minute');

const cfg = (keys: Record<string, string> = {}): BotConfig => botConfigSchema.parse(keys);
const at = (date: string, hhmm: string) => Date.parse(`${date}T${hhmm}:00Z`);
const D = '2025-06-10'; // summer: regular session 13:30Z-20:00Z; OPEN range [14:30,14:50), entries [14:50,15:00)

/** One bar per minute from `from` to `to` (inclusive); `price(hhmm)` gives [open, close] (high/low span them). */
function day(date: string, from: string, to: string, price: (hhmm: string) => [number, number]): Bar[] {
  const out: Bar[] = [];
  for (let t = at(date, from); t <= at(date, to); t += 60_000) {
    const [o, c] = price(new Date(t).toISOString().slice(11, 16));
    out.push({ t, o, h: Math.max(o, c), l: Math.min(o, c), c, v: 1000 });
  }
  return out;
}

const market = (bars: Record<string, Bar[]>) => {
  const m = new Map<string, Map<string, Bar[]>>();
  for (const [symbol, list] of Object.entries(bars)) {
    const byDate = new Map<string, Bar[]>();
    for (const b of list) {
      const d = new Date(b.t).toISOString().slice(0, 10);
      byDate.set(d, [...(byDate.get(d) ?? []), b]);
    }
    m.set(symbol, byDate);
  }
  return new MapMarket(m);
};

const NEXT_OPEN: ExecutionModel = { fill: 'next_open', slippageBps: 10, feePerOrder: 1 };
const AT_CLOSE: ExecutionModel = { fill: 'signal_close', slippageBps: 0, feePerOrder: 0 };

function run(p: Partial<PortfolioInput> & Pick<PortfolioInput, 'market' | 'cfg'>) {
  return runPortfolio({
    strategies: ['open', 'mid', 'close'],
    vix: null,
    startDate: D,
    endDate: D,
    universe: null,
    execution: NEXT_OPEN,
    startingCash: 100_000,
    ...p,
  });
}

// ABC: flat at 100 through the range, breaks out at 14:52 (close 103 > 100 x 1.02), then trades at 103.5;
// the hold ends at 15:22 (entry start + 30 minutes) with a close of 103, and the 15:23 bar opens at 104.
function abcPrice(hhmm: string): [number, number] {
  if (hhmm < '14:52') return [100, 100];
  if (hhmm === '14:52') return [100, 103];
  if (hhmm === '15:22') return [103.5, 103];
  if (hhmm === '15:23') return [104, 104];
  return [103.5, 103.5];
}
const abc = day(D, '13:30', '15:59', abcPrice);

void test('next-bar-open fills with slippage and fees, sized by the account rules: hand-computed', () => {
  const r = run({ market: market({ ABC: abc }), cfg: cfg({ STRATEGY_OVERRIDE: 'open' }) });
  assert.equal(r.trades.length, 1);
  const t = r.trades[0]!;
  // Dollars: 2% of 100,000 x weight 1 (the session's one accepted signal: n = 1 takes 100%) = 2,000;
  // below the 2.5% cap.
  assert.equal(t.allocation, 2000);
  assert.equal(t.account_value, 100_000);
  // Quantity from the signal bar's close: floor(2000 / 103 in 0.0001 steps) = 19.4174 shares.
  assert.equal(t.size, 19.4174);
  assert.equal(t.signal_price, 103);
  // Entry: the 14:53 bar's open 103.5, plus 10 bps = 103.6035. Exit: the 15:23 open 104, less 10 bps = 103.896.
  assert.ok(Math.abs(t.entry_price - 103.6035) < 1e-9, String(t.entry_price));
  assert.ok(Math.abs(t.exit_price! - 103.896) < 1e-9, String(t.exit_price));
  assert.equal(t.entry_time, '2025-06-10T14:52:00.000Z');
  assert.equal(t.exit_time, '2025-06-10T15:22:00.000Z');
  assert.equal(t.exit_reason, 'hold_limit');
  // PnL: (103.896 - 103.6035) x 19.4174 - 2 x 1 fee = 5.6796 - 2 = 3.68.
  assert.equal(t.fees, 2);
  assert.equal(t.pnl, 3.68);
  assert.equal(t.mode, 'backtest');
  assert.equal(t.instrument, 'stock');
  assert.equal(t.broker, 'sim');
  assert.ok(Math.abs(r.endingCash - (100_000 + 0.2925 * 19.4174 - 2)) < 1e-6, String(r.endingCash));
  assert.equal(r.days[0]!.executionSeconds.length, 2);
});

void test('signal-close fills: entry and exit at the decision bars closes, no costs', () => {
  const r = run({ market: market({ ABC: abc }), cfg: cfg({ STRATEGY_OVERRIDE: 'open' }), execution: AT_CLOSE });
  const t = r.trades[0]!;
  assert.equal(t.entry_price, 103);
  assert.equal(t.exit_price, 103);
  assert.equal(t.pnl, 0);
});

void test('no bar after the decision bar: the fill is at its close (plus slippage)', () => {
  // Data ends at 15:22, the hold's last bar: the exit cannot fill at a later open.
  const short = abc.filter((b) => b.t <= at(D, '15:22'));
  const r = run({ market: market({ ABC: short }), cfg: cfg({ STRATEGY_OVERRIDE: 'open' }) });
  const t = r.trades[0]!;
  assert.ok(Math.abs(t.exit_price! - 103 * 0.999) < 1e-9, String(t.exit_price));
});

void test('bearish OPEN signal buys a put priced from the underlying (simulated premium)', () => {
  // XYZ: range 50, closes at 48 at 14:52 (below 50 x 0.98 = 49): short. Put strike floor(48) = 48,
  // premium at the signal close (docs/backtest.md, "Option pricing model") of the at-the-money put, 3,038
  // trading minutes to 2025-06-20 (Juneteenth closed) at sigma 0.30: mid 0.9812, ask 1.01. Sized at the
  // quote's mid as the live session sizes (0.98: 2,000 dollars, n = 1, buy 20 contracts), filled at the ask.
  const xyz = day(D, '13:30', '15:59', (hhmm) => (hhmm < '14:52' ? [50, 50] : [48, 48]));
  const r = run({ market: market({ XYZ: xyz }), cfg: cfg({ STRATEGY_OVERRIDE: 'open' }), execution: AT_CLOSE });
  const t = r.trades[0]!;
  assert.equal(t.side, 'short');
  assert.equal(t.instrument, 'put');
  assert.match(t.ticker, /^XYZ\s+250620P00048000$/);
  assert.equal(t.size, 20);
  assert.equal(t.entry_price, 1.01);
  // The trade record keeps what the model priced each fill with.
  const m = t.option_model;
  assert.ok(m !== undefined && m.exit !== null, 'a put trade records its option model');
  assert.deepEqual([m.model, m.risk_free_rate, m.entry.strike, m.entry.underlying, m.entry.sigma], ['crr_american', 0.04, 48, 48, 0.3]);
  assert.equal(m.entry.minutes_to_expiry, 3038);
  assert.equal(m.entry.ask, t.entry_price);
  assert.equal(m.exit.bid, t.exit_price);
  assert.ok(m.exit.minutes_to_expiry < m.entry.minutes_to_expiry, 'time to expiry runs down between the fills');
  assert.equal(r.trades.filter((x) => x.instrument !== 'put' && x.option_model !== undefined).length, 0);
});

void test("the put's volatility is the VIX close before the date times the underlying's realized volatility over SPY's", () => {
  // 22 sessions before D: XYZ alternates 2% up and down, SPY 1%, so the ratio is ln(1.02)/ln(1.01) (about 1.99)
  // over the last 20 returns; the VIX closed at 20 the day before. Without that history the ratio is 1.
  const priorDates: string[] = [];
  for (let d = addDays(D, -1); priorDates.length < 22; d = addDays(d, -1)) if (![0, 6].includes(new Date(`${d}T12:00:00Z`).getUTCDay())) priorDates.unshift(d);
  const closeBar = (date: string, c: number): Bar => ({ t: at(date, '19:59'), o: c, h: c, l: c, c, v: 1000 });
  const up = (k: number) => (priorDates.length - 1 - k) % 2 === 1;
  const history = {
    XYZ: priorDates.map((d, k) => closeBar(d, up(k) ? 51 : 50)),
    SPY: priorDates.map((d, k) => closeBar(d, up(k) ? 505 : 500)),
  };
  const xyz = day(D, '13:30', '15:59', (hhmm) => (hhmm < '14:52' ? [50, 50] : [48, 48]));
  const vix = { dates: [priorDates[priorDates.length - 1]!], closes: [20] };
  const sigmaOf = (bars: Record<string, Bar[]>) => {
    const r = run({ market: market(bars), cfg: cfg({ STRATEGY_OVERRIDE: 'open', MAX_GAP_PCT_OPEN: '0.5' }), execution: AT_CLOSE, vix });
    const t = r.trades.find((x) => x.instrument === 'put');
    assert.ok(t?.option_model, `a put trade: ${JSON.stringify(r.trades.map((x) => x.ticker))}`);
    return t.option_model.entry.sigma;
  };
  const ratio = Math.log(1.02) / Math.log(1.01);
  assert.ok(Math.abs(sigmaOf({ XYZ: [...history.XYZ, ...xyz], SPY: history.SPY }) - 0.2 * ratio) < 1e-9);
  assert.ok(Math.abs(sigmaOf({ XYZ: xyz }) - 0.2) < 1e-12, 'no history: the VIX alone');
});

void test('a ticker trades once a day across sessions; another symbol still trades in the later session', () => {
  // CLOSE momentum (mode momentum, no VIX: the gate warns and allows) on a steady climb after 15:30:
  // both ABC2 and DEF signal in the CLOSE entry window; ABC2 already traded in OPEN.
  const climb = (base: number) => (hhmm: string): [number, number] => {
    const m = (at(D, hhmm) - at(D, '15:30')) / 60_000;
    const p = base * (1 + Math.max(0, m) * 0.0002);
    return [p, p];
  };
  const abc2 = day(D, '13:30', '19:59', (hhmm) => (hhmm < '15:30' ? abcPrice(hhmm) : climb(103.5)(hhmm)));
  const def = day(D, '13:30', '19:59', (hhmm) => (hhmm < '15:30' ? [50, 50] : climb(51)(hhmm)));
  const r = run({
    market: market({ ABC2: abc2, DEF: def }),
    cfg: cfg({ STRATEGY_SEQUENCE: 'open,close', STRAT_CLOSE_MODE: 'momentum', MAX_PRICE: '1000' }),
    execution: AT_CLOSE,
  });
  const sessions = r.trades.map((t) => `${t.strategy_name}:${t.underlying}`).sort();
  assert.deepEqual(sessions, ['close:DEF', 'open:ABC2']);
  // The CLOSE session leaves ABC2 out of its universe, as the live session does.
  assert.equal(r.counters.tradedTodaySkipped, 1);
  const alone = run({ market: market({ ABC2: abc2 }), cfg: cfg({ STRATEGY_OVERRIDE: 'close', STRAT_CLOSE_MODE: 'momentum', MAX_PRICE: '1000' }), execution: AT_CLOSE });
  assert.equal(alone.trades.length, 1, 'without the OPEN trade ABC2 would have traded in CLOSE');
});

void test('daily loss limit: the losing exit halts the broker; the other position leaves at once (kill_switch)', () => {
  // A and B break out together at 14:52 (n = 2: 60/40); B is stronger (close 103.5) and takes the
  // 1,200-dollar rank, A the 800 (7.7669 shares at 103). A falls to 100 at 14:55 (trailing stop,
  // 103 x 0.98 = 100.94): a loss of 3 x 7.7669 = 23.30 against a limit of 0.0001 x 100,000 = 10 dollars
  // halts the broker.
  const a = day(D, '13:30', '15:59', (hhmm) => (hhmm < '14:52' ? [100, 100] : hhmm < '14:55' ? [103, 103] : [100, 100]));
  const b = day(D, '13:30', '15:59', (hhmm) => (hhmm < '14:52' ? [100, 100] : [103, 103.5]));
  const r = run({ market: market({ A: a, B: b }), cfg: cfg({ STRATEGY_OVERRIDE: 'open', DAILY_LOSS_LIMIT: '0.0001' }), execution: AT_CLOSE });
  const byName = new Map(r.trades.map((t) => [t.underlying, t]));
  assert.equal(byName.get('A')!.exit_reason, 'trailing_stop');
  assert.equal(byName.get('A')!.pnl, -23.3);
  assert.equal(byName.get('A')!.allocation, 800);
  assert.equal(byName.get('B')!.allocation, 1200);
  assert.equal(byName.get('B')!.exit_reason, 'kill_switch');
  assert.equal(byName.get('B')!.exit_time, '2025-06-10T14:55:00.000Z');
  assert.equal(r.days[0]!.halted, true);
  assert.equal(r.killSwitchEvents.length, 1);
  assert.equal(r.killSwitchEvents[0]!.cause, 'daily_loss_limit');
});

void test('screening: price range, and the gap from the previous close', () => {
  const expensive = run({ market: market({ ABC: abc }), cfg: cfg({ STRATEGY_OVERRIDE: 'open', MIN_PRICE: '150' }) });
  assert.equal(expensive.trades.length, 0);
  assert.equal(expensive.counters.screenedOut.price, 1);
  // The day before closes at 80: the open of 100 is a 25% gap, above MAX_GAP_PCT_OPEN = 0.1.
  const before = day('2025-06-09', '13:30', '19:59', () => [80, 80]);
  const gapped = run({ market: market({ ABC: [...before, ...abc] }), cfg: cfg({ STRATEGY_OVERRIDE: 'open' }) });
  assert.equal(gapped.trades.length, 0);
  assert.equal(gapped.counters.screenedOut.gap, 1);
  const allowed = run({ market: market({ ABC: [...before, ...abc] }), cfg: cfg({ STRATEGY_OVERRIDE: 'open', MAX_GAP_PCT_OPEN: '0.3' }) });
  assert.equal(allowed.trades.length, 1);
});

/** Compares the backtester's screening facts with the replay screener's on every date of `symbols` in `minuteDir`; returns how many. */
function compareScreeningFacts(minuteDir: string, symbols: readonly string[]): number {
  const grouped = loadMinuteBars(minuteDir, { symbols });
  let compared = 0;
  for (const [symbol, byDate] of grouped.bars) {
    const dates = [...byDate.keys()].sort();
    const all = dates.flatMap((d) => byDate.get(d)!);
    const index = (t: number) => {
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (all[mid]!.t < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const history: SessionClose[] = [];
    for (const [i, date] of dates.entries()) {
      const bars = byDate.get(date)!;
      // Every fifth date (the replay screener is slow to call) plus each data set's first dates.
      for (const start of i % 5 === 0 || i < 3 || dates[i - 1]! < addDays(date, -40) ? ['13:30', '14:30', '19:30'] : []) {
        const first = Date.parse(`${date}T${start}:00Z`);
        // The replay screener reads 45 calendar days back up to one minute past the session's first bar.
        const from = Date.parse(`${addDays(date, -45)}T00:00:00Z`);
        const seen = all.slice(index(from), index(first + 60_000));
        assert.deepEqual(screeningFacts({ symbol, date, firstSessionBarMs: first, history, bars }), replayFactsFromBars(symbol, date, first, seen), `${symbol} ${date} ${start}`);
        compared += 1;
      }
      const entry = sessionCloseOf(date, bars);
      if (entry !== null) history.push(entry);
    }
  }
  return compared;
}

void test('screening facts equal the TEST_MODE replay screener\'s on real bars (no look-ahead, 45-day window)', { skip: !existsSync(SHARED_MINUTE) && WHOLE_SET_MISSING }, () => {
  const compared = compareScreeningFacts(SHARED_MINUTE, ['SQQQ', 'SVIX', 'AAPL', 'UVXY']);
  assert.ok(compared > 100, `compared ${compared}`);
});

void test('screening facts equal the replay screener\'s on the committed replay days (a 2025 and a 2026 data set, partial days)', () => {
  // UVXY has both data sets, 11 months apart: its 2026 dates see none of the 2025 bars (45-day window).
  const compared = compareScreeningFacts(DAY_BARS_DIR, ['SQQQ', 'SVIX', 'AAPL', 'UVXY', 'SPY']);
  assert.ok(compared >= 40, `compared ${compared}`);
});

/** The portfolio over both market forms of the same files; returns the grouped run's trade count. */
function compareMarketForms(minuteDir: string, vixFile: string, symbols: readonly string[] | undefined, startDate: string, endDate: string, cache: string): number {
  const grouped = loadMinuteBars(minuteDir, { symbols });
  const cols = loadColumns(minuteDir, { symbols, cacheDir: join(dir, cache) });
  const common = {
    cfg: cfg(),
    strategies: ['open', 'mid', 'close'] as const,
    vix: loadVixCsv(vixFile),
    startDate,
    endDate,
    universe: null,
    execution: NEXT_OPEN,
  };
  const a = runPortfolio({ ...common, market: new MapMarket(grouped.bars) });
  const b = runPortfolio({ ...common, market: new ColumnarMarket(cols.series) });
  assert.deepEqual(b.trades, a.trades);
  assert.deepEqual(b.days, a.days);
  const m = computeMetrics({ trades: a.trades, days: a.days, startingCash: a.startingCash, strategies: ['open', 'mid', 'close'] });
  assert.equal(m.overall.trades, a.trades.length);
  return a.trades.length;
}

void test('real bars: the columnar (cached) market gives exactly the grouped market results', { skip: !existsSync(SHARED_MINUTE) && WHOLE_SET_MISSING }, () => {
  const trades = compareMarketForms(SHARED_MINUTE, SHARED_VIX, ['SQQQ', 'TQQQ', 'TNA', 'TZA', 'UVXY', 'SVIX', 'SPY'], '2025-04-01', '2025-05-15', 'cache');
  assert.ok(trades > 10, `expected trades, got ${trades}`);
});

void test('committed replay days: the columnar (cached) market gives exactly the grouped market results', () => {
  const trades = compareMarketForms(DAY_BARS_DIR, DAY_VIX_CSV, undefined, '2025-04-07', '2026-03-13', 'cache-days');
  assert.ok(trades > 10, `expected trades, got ${trades}`);
});

void test('outputs: only _backtest files, under the results folder; other modes are refused', () => {
  const r = run({ market: market({ ABC: abc }), cfg: cfg({ STRATEGY_OVERRIDE: 'open' }) });
  const m = computeMetrics({ trades: r.trades, days: r.days, startingCash: r.startingCash, strategies: ['open'] });
  const out = join(dir, 'outputs');
  const files = writeBacktestOutputs(out, r, m, { test: 'yes' });
  assert.equal(files.tradeHistoryCsv, join(out, 'trades', 'trade_history_backtest.csv'));
  assert.equal(files.dailySummary, join(out, 'summaries', 'daily_summary_backtest.json'));
  const csv = readFileSync(files.tradeHistoryCsv, 'utf8').split('\n');
  assert.equal(csv[0], TRADE_HISTORY_COLUMNS.join(','));
  assert.equal(csv.length, 3);
  const summary = JSON.parse(readFileSync(files.dailySummary, 'utf8')) as Record<string, { mode: string; trades: number }>;
  assert.equal(summary[D]!.mode, 'backtest');
  assert.equal(summary[D]!.trades, 1);
  assert.deepEqual(readdirSync(join(out, 'trades')).sort(), ['trade_history_backtest.csv', 'trade_history_backtest.json']);
  const paper = { ...r, trades: r.trades.map((t) => ({ ...t, mode: 'paper' as const })) };
  assert.throws(() => writeBacktestOutputs(join(dir, 'refused'), paper, m, {}), /mode paper; a backtest writes only backtest trades/);
  assert.equal(existsSync(backtestOutputFiles(join(dir, 'refused')).tradeHistoryJson), false);
});

void test('the command in portfolio mode writes history, summary, metrics and report under --results', async () => {
  const results = join(dir, 'cmd');
  const log = console.log;
  const error = console.error;
  const out: string[] = [];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = () => undefined;
  let code: number;
  try {
    code = await runBacktestCommand([
      '--strategy=all',
      '--start=2025-04-08',
      '--end=2025-04-09',
      `--data_source=${FIXTURE_MINUTE}`,
      '--results',
      results,
      '--cache-dir',
      join(dir, 'cmd-cache'),
      '--set',
      'STRAT_OPEN_BUFFER=0.002',
      '--slippage-bps=2',
      '--fee-per-order=0.5',
    ]);
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.equal(code, 0, out.join('\n'));
  assert.match(out.join('\n'), /portfolio backtest: \d+ trades over 2 trading days/);
  const files = backtestOutputFiles(results);
  for (const f of [files.tradeHistoryCsv, files.tradeHistoryJson, files.dailySummary, files.metrics, join(results, 'report_backtest.html')]) {
    assert.ok(existsSync(f), `${f} written`);
  }
  const trades = JSON.parse(readFileSync(files.tradeHistoryJson, 'utf8')) as { mode: string; fees: number }[];
  assert.ok(trades.length > 0);
  for (const t of trades) {
    assert.equal(t.mode, 'backtest');
    assert.equal(t.fees, 1);
  }
  const metrics = JSON.parse(readFileSync(files.metrics, 'utf8')) as { run: Record<string, string> };
  assert.equal(metrics.run['slippage bps'], '2');
  assert.equal(metrics.run['--set'], 'STRAT_OPEN_BUFFER=0.002');
});
