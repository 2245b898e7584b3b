import { esc } from './reportFormat';

/**
 * An SVG line (or area) chart of a series against its index, with a few labelled ticks: the equity curve
 * and the drawdown, one point per closed trade, need no time axis and no library.
 */
export function seriesSvg(a: {
  id: string;
  values: readonly number[];
  labels: readonly string[];
  /** Tick label of a value; `span` is the axis range, for choosing the decimals. */
  format: (v: number, span: number) => string;
  color: string;
  area?: boolean;
  fixedMax?: number;
}): string {
  const W = 960;
  const H = 260;
  const L = 80;
  const R = 16;
  const T = 14;
  const B = 34;
  const n = a.values.length;
  if (n === 0) return `<svg id="${a.id}" class="chart" viewBox="0 0 ${W} ${H}"><text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`;
  let lo = Math.min(...a.values);
  let hi = a.fixedMax !== undefined ? Math.max(a.fixedMax, ...a.values) : Math.max(...a.values);
  if (hi - lo < 1e-9) {
    hi += 1;
    lo -= 1;
  }
  const pad = (hi - lo) * 0.05;
  lo -= a.fixedMax !== undefined ? 0 : pad;
  hi += a.fixedMax !== undefined ? 0 : pad;
  const x = (i: number) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number) => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const pts = a.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  const grid: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    grid.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>` +
        `<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(a.format(v, hi - lo))}</text>`,
    );
  }
  const ticks = Math.min(6, n);
  for (let k = 0; k < ticks; k++) {
    const i = ticks === 1 ? 0 : Math.round((k * (n - 1)) / (ticks - 1));
    grid.push(`<text x="${x(i).toFixed(1)}" y="${H - 12}" text-anchor="middle" class="tick">${esc(a.labels[i] ?? '')}</text>`);
  }
  const line = `<polyline class="series" fill="none" stroke="${a.color}" stroke-width="1.6" points="${pts.join(' ')}"/>`;
  const base = y(Math.min(hi, Math.max(lo, 0))).toFixed(1);
  const area = a.area ? `<polygon class="area" fill="${a.color}" fill-opacity="0.25" points="${x(0).toFixed(1)},${base} ${pts.join(' ')} ${x(n - 1).toFixed(1)},${base}"/>` : '';
  return `<svg id="${a.id}" class="chart" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img">${grid.join('')}${area}${line}</svg>`;
}
