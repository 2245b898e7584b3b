import { formatOccSymbol, parseOccSymbol } from '../../../domain/instruments/occSymbol';

/** Alpaca writes option symbols without the OCC padding (`SPY250411P00500000`); the bot pads them. */
export function toAlpacaSymbol(symbol: string): string {
  return parseOccSymbol(symbol) ? symbol.replace(/\s+/g, '') : symbol;
}

export function fromAlpacaSymbol(symbol: string): string {
  const c = parseOccSymbol(symbol);
  return c ? formatOccSymbol(c) : symbol;
}
