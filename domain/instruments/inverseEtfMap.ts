/**
 * Underlying -> inverse ETF, for SHORT_TYPE_*=InverseETF. Index and sector ETFs map to their
 * single-inverse fund where one exists (-1x preferred: its daily tracking matches an intraday hedge best).
 * Stocks without a fund of their own fall back to their sector's, then to the index's (README.md,
 * "Strategies"). Maintained by hand; reviewed 2026-11. Add entries here, nowhere else.
 */
export const INVERSE_ETF_BY_UNDERLYING: Readonly<Record<string, string>> = {
  SPY: 'SH',
  VOO: 'SH',
  IVV: 'SH',
  QQQ: 'PSQ',
  IWM: 'RWM',
  DIA: 'DOG',
  MDY: 'MYY',
  XLF: 'SEF',
  XLE: 'ERY',
  XLK: 'REW',
  SMH: 'SOXS',
  SOXX: 'SOXS',
  XLU: 'SDP',
  XLRE: 'REK',
  EEM: 'EUM',
  EFA: 'EFZ',
  FXI: 'YXI',
  KWEB: 'YXI',
  TQQQ: 'SQQQ',
  TNA: 'TZA',
  FAS: 'FAZ',
  ERX: 'ERY',
  SSO: 'SDS',
  UPRO: 'SPXU',
  SOXL: 'SOXS',
  // Bearish on an inverse or volatility fund means bullish on what it shorts: its long counterpart.
  SQQQ: 'TQQQ',
  PSQ: 'QQQ',
  SH: 'SPY',
  SDS: 'SSO',
  SPXU: 'UPRO',
  TZA: 'TNA',
  FAZ: 'FAS',
  ERY: 'ERX',
  SOXS: 'SOXL',
  UVXY: 'SVIX',
  VXX: 'SVIX',
  VXXB: 'SVIX',
};

/** Sector ETF of common stocks, for the fallback. Unknown stocks fall back to the index (SPY -> SH). */
export const SECTOR_ETF_BY_STOCK: Readonly<Record<string, string>> = {
  AAPL: 'QQQ', MSFT: 'QQQ', NVDA: 'SMH', AMD: 'SMH', INTC: 'SMH', MU: 'SMH', QCOM: 'SMH', AVGO: 'SMH',
  TSM: 'SMH', ASML: 'SMH', ARM: 'SMH', SMCI: 'SMH', GOOG: 'QQQ', GOOGL: 'QQQ', META: 'QQQ', AMZN: 'QQQ',
  NFLX: 'QQQ', ADBE: 'QQQ', ORCL: 'XLK', PLTR: 'XLK', TSLA: 'QQQ', COIN: 'QQQ',
  JPM: 'XLF', BAC: 'XLF', BK: 'XLF', DFS: 'XLF', V: 'XLF', TRV: 'XLF', IBKR: 'XLF',
  XOM: 'XLE', CVX: 'XLE', OXY: 'XLE',
  BABA: 'KWEB', BILI: 'KWEB', PDD: 'KWEB', NIO: 'KWEB', XPEV: 'KWEB',
};

export type InverseEtfChoice =
  | { readonly symbol: string; readonly via: 'direct' | 'sector' | 'index' }
  | { readonly symbol: null; readonly reason: string };

export function inverseEtfFor(underlying: string, opts: { allowIndexFallback?: boolean } = {}): InverseEtfChoice {
  const direct = INVERSE_ETF_BY_UNDERLYING[underlying];
  if (direct) return { symbol: direct, via: 'direct' };
  const sector = SECTOR_ETF_BY_STOCK[underlying];
  if (sector && INVERSE_ETF_BY_UNDERLYING[sector]) return { symbol: INVERSE_ETF_BY_UNDERLYING[sector], via: 'sector' };
  if (opts.allowIndexFallback ?? true) return { symbol: INVERSE_ETF_BY_UNDERLYING.SPY, via: 'index' };
  return { symbol: null, reason: `no inverse ETF for ${underlying} or its sector` };
}
