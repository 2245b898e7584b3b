import { inverseEtfFor } from './inverseEtfMap';
import { selectPut, selectSyntheticPut, type OptionChainSnapshot, type PutSelectionInput } from './putSelection';
import type { Side, Instrument } from '../vocabulary';

export type ShortType = 'LongPut' | 'InverseETF' | 'ShortSell' | 'disabled';

export interface InstrumentChoice {
  readonly instrument: Instrument;
  /** What is bought (or sold short). */
  readonly symbol: string;
  readonly assetClass: 'us_equity' | 'us_option';
  /** Opening order side. */
  readonly openSide: 'buy' | 'sell';
}

export type InstrumentDecision = { readonly ok: true; readonly choice: InstrumentChoice } | { readonly ok: false; readonly reason: string };

export interface InstrumentContext {
  readonly underlying: string;
  readonly side: Side;
  readonly shortType: ShortType;
  readonly underlyingPrice: number;
  /** Session date YYYY-MM-DD. */
  readonly date: string;
  readonly brokerSupportsOptions: boolean;
  readonly brokerSupportsShorting: boolean;
  readonly shortable: boolean;
  /** Minimum days to expiry for LongPut. */
  readonly minExpiryDays?: number;
  /** A real broker's put chain snapshot; absent or null: the simulator's synthetic weekly chain. */
  readonly putChain?: OptionChainSnapshot | null;
}

/** Bullish: the stock. Bearish: the instrument SHORT_TYPE_<S> names, where the broker and asset allow it. */
export function chooseInstrument(ctx: InstrumentContext): InstrumentDecision {
  if (ctx.side === 'long') {
    return { ok: true, choice: { instrument: 'stock', symbol: ctx.underlying, assetClass: 'us_equity', openSide: 'buy' } };
  }
  switch (ctx.shortType) {
    case 'disabled':
      return { ok: false, reason: 'bearish signals are disabled for this strategy (SHORT_TYPE=disabled)' };
    case 'InverseETF': {
      const etf = inverseEtfFor(ctx.underlying);
      if (etf.symbol === null) return { ok: false, reason: etf.reason };
      return { ok: true, choice: { instrument: 'inverse_etf', symbol: etf.symbol, assetClass: 'us_equity', openSide: 'buy' } };
    }
    case 'ShortSell':
      if (!ctx.brokerSupportsShorting) return { ok: false, reason: 'broker does not support short selling' };
      if (!ctx.shortable) return { ok: false, reason: `${ctx.underlying} is not shortable` };
      return { ok: true, choice: { instrument: 'short_stock', symbol: ctx.underlying, assetClass: 'us_equity', openSide: 'sell' } };
    case 'LongPut': {
      if (!ctx.brokerSupportsOptions) return { ok: false, reason: 'broker does not support options (SHORT_TYPE=LongPut)' };
      // A real broker's snapshot, else the simulated broker's weekly chain: the same selectPut either way.
      const input: PutSelectionInput = { price: ctx.underlyingPrice, date: ctx.date, minTradingDays: ctx.minExpiryDays, allocation: null };
      const sel = ctx.putChain ? selectPut(ctx.putChain, input) : selectSyntheticPut(ctx.underlying, input);
      if (!sel.ok) return { ok: false, reason: sel.reason };
      return { ok: true, choice: { instrument: 'put', symbol: sel.contract.symbol, assetClass: 'us_option', openSide: 'buy' } };
    }
  }
}

