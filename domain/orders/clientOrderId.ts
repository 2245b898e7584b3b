/**
 * Deterministic client order ids: the same workflow, session, ticker and leg always give the same id,
 * so a retried activity (or a replayed workflow) can never place a second order.
 * Brokers limit the length (Alpaca: 128 characters); long inputs are shortened with a stable hash.
 */
export type OrderLeg = 'entry' | 'exit' | 'stop';

export function clientOrderId(parts: { workflowId: string; session: string; ticker: string; leg: OrderLeg }): string {
  const raw = `${parts.workflowId}:${parts.session}:${parts.ticker}:${parts.leg}`.replace(/[^A-Za-z0-9:._-]/g, '_');
  if (raw.length <= 48) return raw;
  return `tb-${fnv1a(raw)}-${parts.ticker.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}-${parts.leg}`;
}

/** 64-bit FNV-1a as 16 hex chars; pure, stable across processes. */
export function fnv1a(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x811c9dc5 | 1) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}
