/**
 * Sizing of one entry inside a session, used by the session workflow.
 * Signals arrive one bar at a time, so the k-th accepted signal (strongest first within a bar) takes the
 * k-th weight of the table for MAX_TRADES signals: the session can never spend more than its allocation,
 * whatever number of signals eventually comes.
 */
export function weightTable(n: number, configured: readonly number[]): number[] {
  if (n <= 1) return [1];
  if (n === 2) return [0.6, 0.4];
  if (n === 3) return [0.4, 0.3, 0.3];
  return configured.slice(0, n);
}

export function sessionTradeAllocation(a: {
  accountValue: number;
  totalAllocation: number;
  weights: readonly number[];
  maxTrades: number;
  rank: number;
  maxRiskPerTrade: number;
}): number {
  const table = weightTable(a.maxTrades, a.weights);
  const weight = table[a.rank] ?? 0;
  const dollars = a.accountValue * a.totalAllocation * weight;
  return Math.max(0, Math.min(dollars, a.accountValue * a.maxRiskPerTrade));
}

/** Shares (or contracts) that `dollars` buys: fractional to 1e-4 where allowed, else whole units. */
export function orderQuantity(a: { dollars: number; price: number; fractional: boolean; contractMultiplier: number }): number {
  if (!(a.price > 0) || !(a.dollars > 0)) return 0;
  const units = a.dollars / (a.price * a.contractMultiplier);
  return a.fractional ? Math.floor(units * 10_000) / 10_000 : Math.floor(units);
}
