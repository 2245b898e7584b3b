import { BROKER_NAMES, STRATEGY_NAMES } from '../../domain/vocabulary';
import { h, layout, money, price, utcTime, type PageContext } from '../views';
import { pnlChart } from './pnlChart';
import type { DayPnl } from './pnlSeries';
import { OUTPUT_MODES, type TradeFilter } from './tradeFilter';
import type { TradeHistory, TradeRow } from './tradeSource';

/*
 * The trades page: the filter form, the chosen day's realised PnL chart, the totals of what the filter
 * kept, and the trades themselves, newest first. Works without the script (a plain GET form).
 */

export interface TradesView {
  readonly filter: TradeFilter;
  readonly history: TradeHistory;
  /** Every trade the filter kept, newest first. */
  readonly matched: readonly TradeRow[];
  /** The day the chart is for, or null when no trade is kept. */
  readonly day: DayPnl | null;
}

export function tradesPage(ctx: PageContext, v: TradesView): string {
  const shown = v.matched.slice(0, v.filter.limit);
  return layout(
    ctx,
    `<h1>Trades <span class="muted">(${h(v.filter.mode)})</span></h1>
${filterForm(v.filter)}
${historyNotes(v.history)}
<h2>Realised PnL${v.day ? ` on ${h(v.day.date)}` : ''}</h2>
${v.day ? pnlChart(v.day) : '<p id="no-pnl">No trades match the filter.</p>'}
<h2>Trades</h2>
${totals(v.matched)}
${shown.length < v.matched.length ? `<p class="muted" id="trades-cut">Showing the newest ${shown.length} of ${v.matched.length}.</p>` : ''}
${tradesTable(shown)}`,
  );
}

/** A filter that could not be read: what was wrong, and the form to try again. */
export function badFilterPage(ctx: PageContext, problems: readonly string[], defaults: TradeFilter): string {
  return layout(
    ctx,
    `<h1>Trades</h1>
<div class="flash error" role="alert"><p>The filter was not understood:</p><ul id="filter-problems">${problems.map((p) => `<li>${h(p)}</li>`).join('')}</ul></div>
${filterForm(defaults)}`,
  );
}

function filterForm(f: TradeFilter): string {
  const options = (values: readonly string[], chosen: string | null, anyLabel: string | null) =>
    `${anyLabel === null ? '' : `<option value="">${anyLabel}</option>`}${values.map((x) => `<option${x === chosen ? ' selected' : ''}>${h(x)}</option>`).join('')}`;
  return `<form method="get" action="/trades" class="filters" id="trade-filters">
<label>From <input type="date" name="from" value="${h(f.from)}"></label>
<label>To <input type="date" name="to" value="${h(f.to)}"></label>
<label>Strategy <select name="strategy">${options(STRATEGY_NAMES, f.strategy, 'any')}</select></label>
<label>Broker <select name="broker">${options(BROKER_NAMES, f.broker, 'any')}</select></label>
<label>Mode <select name="mode">${options(OUTPUT_MODES, f.mode, null)}</select></label>
<button type="submit">Filter</button> <a href="/trades?mode=${h(f.mode)}">Clear</a>
</form>`;
}

function historyNotes(history: TradeHistory): string {
  if (history.problem !== null) return `<p class="flash error">${h(history.problem)}</p>`;
  if (history.unreadable > 0) return `<p class="flash error">${history.unreadable} record(s) in the trade history are not trade records and are left out.</p>`;
  return '';
}

function totals(trades: readonly TradeRow[]): string {
  const cents = trades.reduce((sum, t) => sum + Math.round(t.pnl * 100), 0);
  const wins = trades.filter((t) => t.pnl > 0).length;
  const losses = trades.filter((t) => t.pnl < 0).length;
  return `<p id="trade-summary"><span id="trade-count">${trades.length}</span> trade${trades.length === 1 ? '' : 's'}, realised PnL <span id="trade-pnl" class="${cents > 0 ? 'pos' : cents < 0 ? 'neg' : 'flat'}">${money(cents / 100)}</span> (${wins} won, ${losses} lost)</p>`;
}

function tradesTable(trades: readonly TradeRow[]): string {
  if (trades.length === 0) return '<p id="no-trades">No trades match the filter.</p>';
  const rows = trades.map(
    (t) =>
      `<tr data-trade-id="${h(t.tradeId)}"><td class="nowrap">${h(t.date)}</td><td>${h(utcTime(t.exit_time))}</td><td>${h(t.strategy_name)}</td><td>${h(t.broker)}</td><td>${h(t.ticker)}</td><td>${h(t.underlying)}</td><td>${h(t.side)}</td><td>${h(t.instrument)}</td><td class="num">${h(t.size)}</td><td class="num">${price(t.entry_price)}</td><td class="num">${t.exit_price === null ? '-' : price(t.exit_price)}</td><td>${h(t.exit_reason ?? t.error_code ?? '-')}</td><td class="num ${t.pnl > 0 ? 'pos' : t.pnl < 0 ? 'neg' : ''}">${money(t.pnl)}</td><td class="num">${t.fees.toFixed(2)}</td></tr>`,
  );
  return `<div class="scroll"><table id="trades"><thead><tr><th>Date</th><th>Exit (UTC)</th><th>Strategy</th><th>Broker</th><th>Ticker</th><th>Underlying</th><th>Side</th><th>Instrument</th><th class="num">Size</th><th class="num">Entry</th><th class="num">Exit</th><th>Reason</th><th class="num">PnL</th><th class="num">Fees</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`;
}
