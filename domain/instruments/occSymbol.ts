/** OCC option symbols: ROOT (padded to 6) + YYMMDD + C|P + strike x 1000 (8 digits), e.g. `SPY   250411P00500000`. */
export interface OptionContract {
  readonly underlying: string;
  /** YYYY-MM-DD */
  readonly expiry: string;
  readonly right: 'C' | 'P';
  readonly strike: number;
}

export function formatOccSymbol(c: OptionContract): string {
  const yymmdd = c.expiry.slice(2, 4) + c.expiry.slice(5, 7) + c.expiry.slice(8, 10);
  const strike = String(Math.round(c.strike * 1000)).padStart(8, '0');
  return `${c.underlying.padEnd(6, ' ')}${yymmdd}${c.right}${strike}`;
}

export function parseOccSymbol(symbol: string): OptionContract | null {
  const m = /^([A-Z.]{1,6})\s*(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/.exec(symbol);
  if (!m) return null;
  return {
    underlying: m[1],
    expiry: `20${m[2]}-${m[3]}-${m[4]}`,
    right: m[5] as 'C' | 'P',
    strike: Number(m[6]) / 1000,
  };
}
