import { chartIndicators, type ChartIndicators, type IndicatorConfig } from '../../domain/backtest/chartIndicators';
import type { BacktestMarket } from '../../domain/backtest/market';
import { nextBarAfter } from '../../domain/backtest/market';
import type { FillModel } from '../../domain/backtest/executionModel';
import type { Bar } from '../../domain/market/bar';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import type { StrategyName } from '../../domain/vocabulary';
import { fmtPrice } from './reportFormat';

/**
 * The data of the report's price charts, one per traded symbol-day: the date's minute bars (candles and
 * volume), the indicators the strategies that traded it decided on, and the entries and exits at their
 * fills (docs/backtest.md, "The report"). Times are UTC epoch seconds, the unit the chart library takes.
 */

const MINUTE_MS = 60_000;
/** Price charts embedded at most; beyond it the symbol-days with the largest absolute PnL are kept. */
export const DEFAULT_MAX_CHARTS = 600;
/** Bars before the first entry and after the last exit shown around the trades. */
const LEAD_MINUTES = 45;
const TAIL_MINUTES = 20;

export interface ChartMarker {
  /** Epoch seconds of the bar the marker sits on (the fill bar). */
  readonly time: number;
  readonly price: number;
  readonly kind: 'entry' | 'exit';
  readonly side: 'long' | 'short';
  readonly label: string;
}

export interface ChartLine {
  readonly name: string;
  readonly color: string;
  /** [epoch seconds, value] pairs, ascending. */
  readonly points: readonly (readonly [number, number])[];
}

export interface SymbolDayChart {
  readonly id: string;
  readonly label: string;
  readonly symbol: string;
  readonly date: string;
  readonly strategies: readonly StrategyName[];
  /** [epoch seconds, open, high, low, close, volume] per bar. */
  readonly bars: readonly (readonly [number, number, number, number, number, number])[];
  readonly lines: readonly ChartLine[];
  readonly markers: readonly ChartMarker[];
  readonly tradeIds: readonly string[];
  readonly pnl: number;
}

export interface ChartOptions {
  readonly maxCharts?: number;
  /** Strategy settings for the opening range and MID's bands; null draws only VWAP and Bollinger. */
  readonly cfg?: IndicatorConfig | null;
  /** Where fills happened: the bar after the decision bar (`next_open`) or the decision bar. */
  readonly fill?: FillModel;
}

const sec = (ms: number) => Math.round(ms / 1000);

/** The chart id of a symbol-day; trade rows carry it to select their chart. */
export function chartIdOf(date: string, symbol: string): string {
  return `${date}-${symbol}`;
}

/** The bar a decision at `decisionMs` filled on: the next bar for `next_open` (when there is one), else the decision bar. */
function fillBar(bars: readonly Bar[], decisionMs: number, fill: FillModel): Bar | null {
  const next = fill === 'next_open' ? nextBarAfter(bars, decisionMs) : null;
  return next ?? bars.find((b) => b.t === decisionMs) ?? null;
}

/**
 * A trade's entry and exit markers on its underlying's chart. A stock or short sale sits at its fill
 * price; a put or an inverse ETF fills another instrument, so its marker sits at the underlying's price
 * of the fill bar and the label gives the instrument's fill.
 */
function tradeMarkers(t: TradeRecord, bars: readonly Bar[], fill: FillModel): ChartMarker[] {
  const onUnderlying = t.ticker === t.underlying;
  const markers: ChartMarker[] = [];
  const legs: { kind: 'entry' | 'exit'; decision: string | null; price: number | null }[] = [
    { kind: 'entry', decision: t.entry_time, price: t.entry_price },
    { kind: 'exit', decision: t.exit_time, price: t.exit_price },
  ];
  for (const leg of legs) {
    if (leg.decision === null || leg.price === null) continue;
    const bar = fillBar(bars, Date.parse(leg.decision), fill);
    if (bar === null) continue;
    const atPrice = onUnderlying ? leg.price : fill === 'next_open' ? bar.o : bar.c;
    const what = onUnderlying ? '' : ` (${t.instrument} ${t.ticker} filled at ${fmtPrice(leg.price)})`;
    const reason = leg.kind === 'exit' ? ` ${t.exit_reason ?? ''} pnl ${t.pnl.toFixed(2)}` : '';
    markers.push({
      time: sec(bar.t),
      price: atPrice,
      kind: leg.kind,
      side: t.side,
      label: `${t.strategy_name} ${t.side} ${leg.kind} ${new Date(bar.t).toISOString().slice(11, 16)}Z at ${fmtPrice(atPrice)}${what}${reason}`,
    });
  }
  return markers;
}

function indicatorLines(ind: ChartIndicators, shownFrom: number, shownTo: number): ChartLine[] {
  const pts = (xs: readonly { t: number; v: number }[]) => xs.filter((p) => p.t >= shownFrom && p.t <= shownTo).map((p) => [sec(p.t), p.v] as const);
  const lines: ChartLine[] = [
    { name: 'VWAP', color: '#7b3fb5', points: pts(ind.vwap) },
    { name: 'VWAP + threshold', color: '#b58fd6', points: pts(ind.vwapUpper) },
    { name: 'VWAP - threshold', color: '#b58fd6', points: pts(ind.vwapLower) },
    { name: 'Bollinger upper', color: '#d08a1e', points: pts(ind.bollingerUpper) },
    { name: 'Bollinger middle', color: '#e6b866', points: pts(ind.bollingerMiddle) },
    { name: 'Bollinger lower', color: '#d08a1e', points: pts(ind.bollingerLower) },
  ];
  const r = ind.openingRange;
  // A horizontal line needs two ascending times; a range starting after the shown bars has none.
  if (r !== null && Math.max(r.fromMs, shownFrom) < shownTo) {
    const span = (v: number) => [[sec(Math.max(r.fromMs, shownFrom)), v], [sec(shownTo), v]] as const;
    lines.push(
      { name: 'Opening range high', color: '#1f7a4d', points: span(r.high) },
      { name: 'Opening range low', color: '#a33a2b', points: span(r.low) },
      { name: 'OPEN long above', color: '#5fb88a', points: span(r.longAbove) },
      { name: 'OPEN short below', color: '#d98074', points: span(r.shortBelow) },
    );
  }
  return lines.filter((l) => l.points.length > 0);
}

function groupBySymbolDay(trades: readonly TradeRecord[]): Map<string, TradeRecord[]> {
  const groups = new Map<string, TradeRecord[]>();
  for (const t of trades) {
    const key = `${t.date}|${t.underlying}`;
    const list = groups.get(key);
    if (list) list.push(t);
    else groups.set(key, [t]);
  }
  return groups;
}

/** The symbol-days to chart: all, or the `max` with the largest absolute PnL; sorted by date and symbol. */
function chosenKeys(groups: Map<string, TradeRecord[]>, max: number): { keys: string[]; omitted: number } {
  let keys = [...groups.keys()];
  const omitted = Math.max(0, keys.length - max);
  if (omitted > 0) {
    const weight = (k: string) => Math.abs(groups.get(k)!.reduce((a, t) => a + t.pnl, 0));
    keys = keys.sort((a, b) => weight(b) - weight(a)).slice(0, max);
  }
  return { keys: keys.sort(), omitted };
}

function chartOf(date: string, symbol: string, list: readonly TradeRecord[], market: BacktestMarket, opts: ChartOptions): SymbolDayChart | null {
  const bars = market.barsOn(symbol, date);
  if (bars.length === 0) return null;
  const fill = opts.fill ?? 'next_open';
  const from = Math.min(...list.map((t) => Date.parse(t.entry_time))) - LEAD_MINUTES * MINUTE_MS;
  const to = Math.max(...list.map((t) => Date.parse(t.exit_time ?? t.entry_time))) + TAIL_MINUTES * MINUTE_MS;
  const shown = bars.filter((b) => b.t >= from && b.t <= to);
  if (shown.length === 0) return null;
  const strategies = [...new Set(list.map((t) => t.strategy_name))];
  const ind = chartIndicators(bars, date, strategies, opts.cfg ?? null);
  const markers = list.flatMap((t) => tradeMarkers(t, bars, fill)).sort((a, b) => a.time - b.time);
  const pnl = Math.round(list.reduce((a, t) => a + t.pnl, 0) * 100) / 100;
  return {
    id: chartIdOf(date, symbol),
    label: `${date} ${symbol} (${list.map((t) => `${t.strategy_name} ${t.side}`).join(', ')}) ${pnl >= 0 ? '+' : ''}${pnl.toFixed(2)}`,
    symbol,
    date,
    strategies,
    bars: shown.map((b) => [sec(b.t), b.o, b.h, b.l, b.c, b.v] as const),
    lines: indicatorLines(ind, shown[0]!.t, shown[shown.length - 1]!.t),
    markers,
    tradeIds: list.map((t) => t.tradeId),
    pnl,
  };
}

/** Price charts of the traded symbol-days. */
export function symbolDayCharts(trades: readonly TradeRecord[], market: BacktestMarket, opts: ChartOptions = {}): { charts: SymbolDayChart[]; omitted: number } {
  const groups = groupBySymbolDay(trades);
  const { keys, omitted } = chosenKeys(groups, opts.maxCharts ?? DEFAULT_MAX_CHARTS);
  const charts: SymbolDayChart[] = [];
  for (const key of keys) {
    const [date, symbol] = key.split('|') as [string, string];
    const chart = chartOf(date, symbol, groups.get(key)!, market, opts);
    if (chart !== null) charts.push(chart);
  }
  return { charts, omitted };
}

const INDICATOR_KEYS: readonly (keyof IndicatorConfig)[] = [
  'START_TIME_OPEN',
  'OPEN_ANALYSIS_TIME',
  'OPEN_BREAKOUT_TIME',
  'OPEN_MONITORING_TIME',
  'STRAT_OPEN_BUFFER',
  'SESSION_TIME_ANCHOR',
  'STRAT_MID_VWAP_THRESHOLD',
];

/**
 * The indicator settings of a sweep cell: the run's own, unless the cell's settings change one of them;
 * then null (VWAP and Bollinger only), since the report has only the cell's settings as text and drawing
 * the run's opening range or bands would show lines that cell never traded on.
 */
export function indicatorConfigOf(base: IndicatorConfig, settings: Readonly<Record<string, string>>): IndicatorConfig | null {
  return INDICATOR_KEYS.some((k) => k in settings) ? null : base;
}
