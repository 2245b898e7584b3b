import { h, money } from '../views';
import type { DayPnl } from './pnlSeries';

/*
 * The day's realised PnL as an inline SVG step line drawn on the server: no script, no chart library and
 * nothing from a CDN (the dashboard runs offline, and its Content-Security-Policy allows no inline
 * script). Colours come from the stylesheet's classes; each exit is a point with its own tooltip.
 */

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 64, right: 16, top: 14, bottom: 28 } as const;
const MIN_SPAN_MS = 10 * 60_000;

interface Scale {
  readonly x: (ms: number) => number;
  readonly y: (pnl: number) => number;
  readonly t0: number;
  readonly t1: number;
  readonly lo: number;
  readonly hi: number;
}

export function pnlChart(day: DayPnl): string {
  if (day.points.length === 0 || day.start === null) return `<p id="no-pnl">No closed trades on ${h(day.date)}.</p>`;
  const scale = scaleFor(day, day.start);
  const summary = `Realised PnL on ${day.date}: ${money(day.total)} after ${day.points.length} closed trade${day.points.length === 1 ? '' : 's'}`;
  return `<figure class="chart"><svg id="pnl-chart" class="pnl-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="pnl-title" data-total="${day.total.toFixed(2)}" data-date="${h(day.date)}">
<title id="pnl-title">${h(summary)}</title>
${axes(scale)}
<path class="line ${day.total >= 0 ? 'pos' : 'neg'}" d="${stepPath(day, scale)}"/>
${points(day, scale)}
</svg><figcaption id="day-pnl">${h(summary)}</figcaption></figure>`;
}

function scaleFor(day: DayPnl, start: string): Scale {
  const times = day.points.map((p) => Date.parse(p.at));
  const t0 = Math.min(Date.parse(start), ...times);
  const t1 = Math.max(t0 + MIN_SPAN_MS, ...times);
  const totals = day.points.map((p) => p.total);
  const rawLo = Math.min(0, ...totals);
  const rawHi = Math.max(0, ...totals);
  // A margin above and below, and at least a dollar of height, so a flat day is a line in the middle.
  const margin = Math.max((rawHi - rawLo) * 0.1, 0.5);
  const lo = rawLo - margin;
  const hi = rawHi + margin;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  return {
    x: (ms) => PAD.left + ((ms - t0) / (t1 - t0)) * plotW,
    y: (pnl) => PAD.top + ((hi - pnl) / (hi - lo)) * plotH,
    t0,
    t1,
    lo,
    hi,
  };
}

/** Flat between exits, a step at each: realised PnL changes only when a trade closes. */
function stepPath(day: DayPnl, s: Scale): string {
  const steps = day.points.map((p) => `H${n(s.x(Date.parse(p.at)))}V${n(s.y(p.total))}`);
  return `M${n(s.x(s.t0))} ${n(s.y(0))}${steps.join('')}H${n(s.x(s.t1))}`;
}

function points(day: DayPnl, s: Scale): string {
  return day.points
    .map(
      (p) =>
        `<circle class="pt ${p.pnl >= 0 ? 'pos' : 'neg'}" cx="${n(s.x(Date.parse(p.at)))}" cy="${n(s.y(p.total))}" r="4" data-pnl="${p.pnl.toFixed(2)}" data-total="${p.total.toFixed(2)}"><title>${h(`${hhmm(Date.parse(p.at))} ${p.ticker} (${p.strategy}) ${money(p.pnl)}, day ${money(p.total)}`)}</title></circle>`,
    )
    .join('\n');
}

function axes(s: Scale): string {
  const left = PAD.left;
  const right = WIDTH - PAD.right;
  const bottom = HEIGHT - PAD.bottom;
  const yLabel = (v: number, cls: string) => `<text class="axis ${cls}" x="${left - 6}" y="${n(s.y(v) + 4)}" text-anchor="end">${money(v)}</text>`;
  const xLabel = (ms: number, anchor: string) => `<text class="axis" x="${n(s.x(ms))}" y="${HEIGHT - 8}" text-anchor="${anchor}">${hhmm(ms)}</text>`;
  return `<line class="frame" x1="${left}" y1="${PAD.top}" x2="${left}" y2="${bottom}"/><line class="frame" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/>
<line class="zero" x1="${left}" y1="${n(s.y(0))}" x2="${right}" y2="${n(s.y(0))}"/>
${yLabel(s.hi, 'hi')}${yLabel(0, 'zero-label')}${yLabel(s.lo, 'lo')}
${xLabel(s.t0, 'start')}${xLabel((s.t0 + s.t1) / 2, 'middle')}${xLabel(s.t1, 'end')}`;
}

function hhmm(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)}Z`;
}

function n(v: number): string {
  return v.toFixed(1);
}
