import { hhmmToMinutes, utcMsToNyWallTime } from '../../../domain/market/nyTime';

export interface RestartWindow {
  /** HH:MM, New York. */
  readonly startNy: string;
  readonly minutes: number;
}

/** IB Gateway's default auto-restart time (Configure > Settings > Lock and Exit), New York. */
export const DEFAULT_RESTART_WINDOW: RestartWindow = { startNy: '23:45', minutes: 15 };

/** Whether a UTC instant falls inside the daily restart window (which may run past midnight). */
export function inRestartWindow(ms: number, w: RestartWindow): boolean {
  const start = hhmmToMinutes(w.startNy);
  const minute = hhmmToMinutes(utcMsToNyWallTime(ms).hhmm);
  const since = (minute - start + 24 * 60) % (24 * 60);
  return since < w.minutes;
}
