import type { CapacityRequest } from '../../domain/risk/accountState';

/** The date and time the risk reducer tests ask on. */
export const REQUEST_DATE = '2025-03-10';
export const REQUEST_AT = `${REQUEST_DATE}T14:35:00.000Z`;

/** A capacity request for one OPEN long at Alpaca, symbol `S<id>` unless `over` names one. */
export function capacityRequest(id: string, over: Partial<CapacityRequest> = {}): CapacityRequest {
  return {
    requestId: id,
    at: REQUEST_AT,
    date: REQUEST_DATE,
    session: 'open',
    broker: 'alpaca',
    symbol: `S${id}`,
    side: 'long',
    instrument: 'stock',
    signalStrength: 1,
    price: 20,
    brokerFloat: 100_000,
    assetFractionable: true,
    ...over,
  };
}
