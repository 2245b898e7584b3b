import { OptionType, SecType, type Contract, type ContractDetails } from '@stoqey/ib';
import { BrokerError } from '../../../domain/errors/errorClasses';
import { formatOccSymbol, parseOccSymbol } from '../../../domain/instruments/occSymbol';
import type { AssetClass, OptionContractInfo } from '../brokerTypes';
import { IB_CODES } from './ibApi';
import type { IbConnection } from './ibConnection';

/** The bot's symbols as IB contracts: lookups by symbol and the put chain of an underlying. */
export class IbContracts {
  constructor(private readonly conn: IbConnection) {}

  /** Resolves the bot's symbol to one IB contract (conId), or null when IB knows none. */
  async qualify(symbol: string, assetClass: AssetClass): Promise<Contract | null> {
    const details = await this.contractDetails(contractFor(symbol, assetClass));
    const first = details[0]?.contract;
    return first ? { ...first, exchange: 'SMART' } : null;
  }

  async putContracts(
    underlying: string,
    range: { expiryFrom: string; expiryTo: string; strikeFrom?: number; strikeTo?: number },
  ): Promise<OptionContractInfo[]> {
    const stock = await this.qualify(underlying, 'us_equity');
    if (!stock?.conId) return [];
    const { expirations, strikes } = await this.optionParams(underlying, stock.conId);
    const out: OptionContractInfo[] = [];
    for (const e of expirations) {
      const expiry = `${e.slice(0, 4)}-${e.slice(4, 6)}-${e.slice(6, 8)}`;
      if (expiry < range.expiryFrom || expiry > range.expiryTo) continue;
      for (const strike of strikes) {
        if (range.strikeFrom !== undefined && strike < range.strikeFrom) continue;
        if (range.strikeTo !== undefined && strike > range.strikeTo) continue;
        out.push({ symbol: formatOccSymbol({ underlying, expiry, right: 'P', strike }), underlying, expiry, strike, right: 'P' });
      }
    }
    return out.sort((a, b) => a.expiry.localeCompare(b.expiry) || a.strike - b.strike);
  }

  /** The SMART option chain's expirations (YYYYMMDD) and strikes. */
  private async optionParams(underlying: string, conId: number): Promise<{ expirations: Set<string>; strikes: Set<number> }> {
    const reqId = this.conn.newReqId();
    const expirations = new Set<string>();
    const strikes = new Set<number>();
    await this.conn.request({
      what: `option chain ${underlying}`,
      reqId,
      send: (api) => api.reqSecDefOptParams(reqId, underlying, '', SecType.STK, conId),
      events: {
        securityDefinitionOptionParameter: ((id: number, exchange: string, _conId: number, _tc: string, _mult: string, exps: string[], strks: number[]) => {
          if (id !== reqId || exchange !== 'SMART') return;
          for (const e of exps ?? []) expirations.add(e);
          for (const s of strks ?? []) strikes.add(Number(s));
        }),
      },
      endEvent: 'securityDefinitionOptionParameterEnd',
      result: () => undefined,
    });
    return { expirations, strikes };
  }

  private async contractDetails(contract: Contract): Promise<ContractDetails[]> {
    const reqId = this.conn.newReqId();
    const out: ContractDetails[] = [];
    try {
      return await this.conn.request({
        what: `contract lookup ${contract.symbol}`,
        reqId,
        send: (api) => api.reqContractDetails(reqId, contract),
        events: {
          contractDetails: ((id: number, d: ContractDetails) => {
            if (id === reqId) out.push(d);
          }),
        },
        endEvent: 'contractDetailsEnd',
        result: () => out,
      });
    } catch (err) {
      if (err instanceof BrokerError && err.code === String(IB_CODES.NO_SECURITY_DEFINITION)) return [];
      throw err;
    }
  }
}

function contractFor(symbol: string, assetClass: AssetClass): Contract {
  const occ = parseOccSymbol(symbol);
  if (assetClass === 'us_option' && occ) {
    return {
      symbol: occ.underlying,
      secType: SecType.OPT,
      lastTradeDateOrContractMonth: occ.expiry.replace(/-/g, ''),
      strike: occ.strike,
      right: occ.right === 'P' ? OptionType.Put : OptionType.Call,
      multiplier: 100,
      exchange: 'SMART',
      currency: 'USD',
    };
  }
  return { symbol: symbol.toUpperCase(), secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
}

/** The bot's symbol for an IB contract: the ticker, or the padded OCC symbol for an option. */
export function symbolOf(c: Contract): string {
  if (c.secType === SecType.OPT && c.lastTradeDateOrContractMonth && c.strike !== undefined && c.right) {
    const d = c.lastTradeDateOrContractMonth;
    return formatOccSymbol({
      underlying: String(c.symbol),
      expiry: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`,
      right: c.right === OptionType.Put || String(c.right).toUpperCase().startsWith('P') ? 'P' : 'C',
      strike: Number(c.strike),
    });
  }
  return String(c.symbol ?? '');
}
