import type { EmulatorDayFigures } from './emulatorDay';

/**
 * How the bench shows the emulator day: readable lines with issue 13's targets (met or not; the bench
 * prints, it does not fail), and the fields it adds to the bench's JSON line.
 */

/** Issue 13, "Measure": p99 order latency under 500 ms, a three-session paper day at speed 60 within 10 minutes. */
export const LATENCY_P99_TARGET_MS = 500;
export const DAY_TARGET_SECONDS = 600;

const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);

export function emulatorDayLines(f: EmulatorDayFigures): string[] {
  const latencyMet = f.latency_p99_ms !== null && f.latency_p99_ms < LATENCY_P99_TARGET_MS;
  const sessions = Object.entries(f.session_seconds).map(([s, sec]) => `${s} ${sec.toFixed(1)} s (woke ${f.session_start_late_seconds[s]?.toFixed(2) ?? '-'} s late)`);
  const slowest = f.slowest_order ? `; slowest ${f.slowest_order.leg} ${f.slowest_order.clientOrderId} on the ${f.slowest_order.decisionBar} bar` : '';
  const rehearsal = f.passed ? 'passed' : `FAILED (${f.problems.join(', ')})`;
  return [
    `emulator day ${f.date} at ${f.speed}x (${f.replay}): ${f.trades} trades, ${f.stale_signals_skipped} stale signal(s) skipped, rehearsal ${rehearsal}, ` +
      `${f.day_seconds.toFixed(1)} s (target ${DAY_TARGET_SECONDS} s: ${verdict(f.day_seconds <= DAY_TARGET_SECONDS)})`,
    `  order latency, bar visible -> order at the emulator: p50 ${ms(f.latency_p50_ms)}, p99 ${ms(f.latency_p99_ms)} over ${f.latency_orders} orders ` +
      `(${f.latency_entries} entries, ${f.latency_exits} exits) (target p99 < ${LATENCY_P99_TARGET_MS} ms: ${verdict(latencyMet)})${slowest}`,
    `  sessions, real s from actualStart to the session's close: ${sessions.join(', ') || 'none ran'}`,
    `  journal: ${f.journal}`,
  ];
}

/** The bench JSON's emulator fields; null when the emulator day was skipped (--no-emulator). */
export function emulatorDayJson(f: EmulatorDayFigures | null): Record<string, unknown> {
  return {
    emulator_order_latency_ms_p50: f?.latency_p50_ms ?? null,
    emulator_order_latency_ms_p99: f?.latency_p99_ms ?? null,
    emulator_order_latency_orders: f?.latency_orders ?? null,
    emulator_session_seconds: f?.session_seconds ?? null,
    emulator_day_seconds: f?.day_seconds ?? null,
    emulator_trades: f?.trades ?? null,
    emulator_rehearsal_passed: f?.passed ?? null,
  };
}
