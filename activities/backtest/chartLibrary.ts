import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * TradingView Lightweight Charts (Apache-2.0), inlined into each report so the file opens offline: its
 * standalone production build (which defines the `LightweightCharts` global) read from node_modules at
 * report time, with its license header kept and a notice naming the version (docs/backtest.md, "The report").
 */

export interface ChartLibrary {
  readonly version: string;
  /** The script, safe to place inside a <script> element. */
  readonly code: string;
  readonly notice: string;
}

let cached: ChartLibrary | null = null;

export function chartLibrary(): ChartLibrary {
  if (cached !== null) return cached;
  const pkgFile = require.resolve('lightweight-charts/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string; license: string };
  const code = readFileSync(path.join(path.dirname(pkgFile), 'dist', 'lightweight-charts.standalone.production.js'), 'utf8');
  cached = {
    version: pkg.version,
    // A literal "</script" inside the code would end the element early.
    code: code.replace(/<\/script/gi, '<\\/script'),
    notice: `Charts: TradingView Lightweight Charts v${pkg.version}, Copyright TradingView, Inc., licensed under the ${pkg.license} license (inlined with its license header).`,
  };
  return cached;
}
