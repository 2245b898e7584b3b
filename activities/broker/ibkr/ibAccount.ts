import { SecType, type Contract } from '@stoqey/ib';
import { BrokerError, ConfigError } from '../../../domain/errors/errorClasses';
import type { BrokerAccount, BrokerPosition } from '../brokerTypes';
import type { IbConnection } from './ibConnection';
import { symbolOf } from './ibContracts';

/** The configured account: that TWS manages it (and that paper means paper), its balances and positions. */
export class IbAccount {
  constructor(private readonly conn: IbConnection) {}

  async authenticate(): Promise<void> {
    const { account, endpointMode } = this.conn.opts;
    const key = endpointMode === 'paper' ? 'IBKR_PAPER_ACCOUNT_NUMBER' : 'IBKR_LIVE_ACCOUNT_NUMBER';
    // Checked before connecting: a paper session must not even open a socket for a live account.
    if (endpointMode === 'paper' && !/^D/i.test(account)) {
      throw new ConfigError(
        `ibkr paper: ${key} is not an IB paper account (paper account ids start with "D", e.g. DU1234567); paper and TEST_MODE sessions never trade a live account`,
      );
    }
    await this.conn.ensureConnected();
    if (!this.conn.managedAccounts.includes(account)) {
      const seen = this.conn.managedAccounts.length;
      await this.conn.close();
      throw new ConfigError(
        `ibkr ${endpointMode}: ${this.conn.where} is logged into ${seen} account(s), none of them the one in ${key}; log TWS/IB Gateway into the ${endpointMode} account or fix ${key}`,
      );
    }
    await this.account();
  }

  async account(): Promise<BrokerAccount> {
    const reqId = this.conn.newReqId();
    const values = new Map<string, number>();
    await this.conn.request({
      what: 'account summary',
      reqId,
      send: (api) => api.reqAccountSummary(reqId, 'All', 'NetLiquidation,TotalCashValue,BuyingPower'),
      events: {
        accountSummary: ((id: number, account: string, tag: string, value: string) => {
          if (id === reqId && account === this.conn.opts.account) values.set(tag, Number(value));
        }),
      },
      endEvent: 'accountSummaryEnd',
      result: () => undefined,
    });
    this.conn.api?.cancelAccountSummary(reqId);
    if (!values.has('NetLiquidation')) {
      throw new BrokerError(`ibkr: the account summary has no NetLiquidation for the configured account`, { provider: 'ibkr', code: 'no_account_summary' });
    }
    return {
      accountValue: values.get('NetLiquidation') ?? 0,
      cash: values.get('TotalCashValue') ?? 0,
      buyingPower: values.get('BuyingPower') ?? 0,
    };
  }

  async positions(): Promise<BrokerPosition[]> {
    const out: BrokerPosition[] = [];
    await this.conn.request({
      what: 'positions',
      reqId: this.conn.newReqId(),
      send: (api) => api.reqPositions(),
      events: {
        position: ((account: string, contract: Contract, pos: number, avgCost?: number) => {
          if (account !== this.conn.opts.account || !pos) return;
          const mult = contract.secType === SecType.OPT ? Number(contract.multiplier) || 100 : 1;
          out.push({ symbol: symbolOf(contract), qty: Number(pos), avgEntryPrice: (Number(avgCost) || 0) / mult });
        }),
      },
      endEvent: 'positionEnd',
      endHasNoId: true,
      result: () => undefined,
    });
    this.conn.api?.cancelPositions();
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }
}
