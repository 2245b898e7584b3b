import type { IbApiFactory } from './ibApi';
import type { RestartWindow } from './restartWindow';

export interface IbkrBrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly account: string;
  readonly endpointMode: 'paper' | 'live';
  /** Per-request timeout (API_TIMEOUT). */
  readonly timeoutMs: number;
  readonly fillTimeoutMs?: number;
  /** Market data type: 1 real-time (needs a subscription), 3 delayed. */
  readonly marketDataType?: 1 | 2 | 3 | 4;
  readonly apiFactory?: IbApiFactory;
  /** The adapter's clock: order and quote times, the calendar, the restart window (the rehearsal gives the market clock). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /**
   * The clock of waits on IB's answers to an order (acceptance, fill, cancel): how long TWS takes to answer
   * is real time even when the worker runs on a faster market clock. Default the wall clock.
   */
  readonly answerClock?: { readonly now: () => number; readonly sleep: (ms: number) => Promise<void> };
  /** The gateway's daily restart, New York wall time (docs/ibkr.md "Daily restart"); default 23:45 for 15 minutes. */
  readonly restartWindow?: RestartWindow;
}
