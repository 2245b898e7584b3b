import type { EmulatorContext } from '../context';
import type { WireContract } from '../../../domain/emulator/tws/requests';
import type { ContractOut } from '../../../domain/emulator/tws/replies';
import { formatOccSymbol, parseOccSymbol } from '../../../domain/instruments/occSymbol';
import { alpacaOptionSymbol, listedContract } from '../../../domain/emulator/options';
import { utcMsToNyWallTime } from '../../../domain/market/nyTime';

/**
 * Contracts on the TWS side: IB's contract (symbol, secType, expiry, strike, right, conId) for the
 * emulator's symbols (tickers, and OCC symbols for the listed puts). conIds are a stable hash of the
 * symbol, so a restarted emulator or a second connection sees the same ids.
 */

export function conIdOf(symbol: string): number {
  let h = 0x811c9dc5;
  for (const ch of symbol.replace(/\s+/g, '')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Positive and above the small ids IB uses for indices.
  return (h % 2_000_000_000) + 100_000;
}

/** The emulator's symbol (engine form: options without OCC padding) as IB's contract. */
export function contractOut(ctx: EmulatorContext, symbol: string): ContractOut {
  const occ = parseOccSymbol(symbol);
  const primaryExch = ctx.facts.get(occ ? occ.underlying : symbol)?.exchange?.toUpperCase().includes('NYSE') ? 'ARCA' : 'NASDAQ';
  if (occ) {
    const padded = formatOccSymbol(occ);
    return {
      conId: conIdOf(padded),
      symbol: occ.underlying,
      secType: 'OPT',
      expiry: occ.expiry.replace(/-/g, ''),
      strike: occ.strike,
      right: occ.right,
      multiplier: 100,
      exchange: 'SMART',
      primaryExch: '',
      currency: 'USD',
      localSymbol: padded,
      tradingClass: occ.underlying,
    };
  }
  return { conId: conIdOf(symbol), symbol, secType: 'STK', expiry: '', strike: null, right: '', multiplier: null, exchange: 'SMART', primaryExch, currency: 'USD', localSymbol: symbol, tradingClass: 'NMS' };
}

/** Every symbol the emulator trades, by conId (stocks; options are added as they are looked up). */
export class ContractBook {
  private readonly byConId = new Map<number, string>();

  constructor(private readonly ctx: EmulatorContext) {
    for (const s of ctx.timeline.symbols()) this.byConId.set(conIdOf(s), s);
  }

  /** The engine symbol a client's contract names, or null when IB would answer 200 (no security definition). */
  resolve(c: WireContract): string | null {
    if (c.conId > 0 && !c.symbol) return this.byConId.get(c.conId) ?? null;
    const secType = c.secType.toUpperCase();
    const symbol = c.symbol.toUpperCase();
    if (secType === 'STK') return this.ctx.assetOf(symbol) !== null && this.ctx.timeline.has(symbol) ? this.remember(symbol) : null;
    if (secType !== 'OPT') return null;
    const d = c.lastTradeDateOrContractMonth;
    const right = c.right.toUpperCase().startsWith('P') ? 'P' : c.right.toUpperCase().startsWith('C') ? 'C' : null;
    if (!/^\d{8}$/.test(d) || right === null || c.strike === undefined) return null;
    const occ = formatOccSymbol({ underlying: symbol, expiry: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`, right, strike: c.strike });
    if (listedContract(occ, this.ctx.timeline.all(symbol), this.ctx.date) === null) return null;
    return this.remember(alpacaOptionSymbol(occ));
  }

  private remember(symbol: string): string {
    const occ = parseOccSymbol(symbol);
    this.byConId.set(conIdOf(occ ? formatOccSymbol(occ) : symbol), symbol);
    return symbol;
  }
}

/** IB's time format, `yyyyMMdd HH:mm:ss US/Eastern`, for a market instant. */
export function ibTime(ms: number): string {
  const ny = utcMsToNyWallTime(ms);
  const seconds = String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0');
  return `${ny.date.replace(/-/g, '')} ${ny.hhmm}:${seconds} US/Eastern`;
}
