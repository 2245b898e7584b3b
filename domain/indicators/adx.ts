import type { Bar } from '../market/bar';

/**
 * ADX(period) with Wilder's original seeding, index 0 = first bar fed:
 * - TR, +DM, -DM exist from index 1: TR = max(H-L, |H-Cprev|, |L-Cprev|); +DM = up when up > down and
 *   up > 0, else 0 (-DM likewise, ties give 0);
 * - smoothed TR/+DM/-DM are seeded at index `period` with the plain sum of indices 1..period, then
 *   X = X - X/period + x;
 * - +DI/-DI = 100 x smoothed DM / smoothed TR (0 when smoothed TR is 0); DX = 100 x |+DI - -DI| / (+DI + -DI)
 *   (0 when the sum is 0); DX exists from index `period`;
 * - ADX is seeded at index 2 x period - 1 with the mean of DX over indices period..2 x period - 1, then
 *   ADX = (ADX x (period - 1) + DX) / period.
 */
export class StreamingAdx {
  private index = -1;
  private prev: Bar | null = null;
  private sTr = 0;
  private sPlus = 0;
  private sMinus = 0;
  private dxSum = 0;
  private adx: number | null = null;
  private lastDx: number | null = null;
  private lastPlusDi: number | null = null;
  private lastMinusDi: number | null = null;

  constructor(readonly period = 14) {
    if (!Number.isInteger(period) || period < 1) throw new Error(`ADX period must be a positive integer: ${period}`);
  }

  update(bar: Bar): void {
    this.index += 1;
    const prev = this.prev;
    this.prev = bar;
    if (prev === null) return;
    const p = this.period;
    const tr = Math.max(bar.h - bar.l, Math.abs(bar.h - prev.c), Math.abs(bar.l - prev.c));
    const up = bar.h - prev.h;
    const down = prev.l - bar.l;
    const plusDm = up > down && up > 0 ? up : 0;
    const minusDm = down > up && down > 0 ? down : 0;
    if (this.index <= p) {
      // Seeding: plain sums of indices 1..period.
      this.sTr += tr;
      this.sPlus += plusDm;
      this.sMinus += minusDm;
      if (this.index < p) return;
    } else {
      this.sTr = this.sTr - this.sTr / p + tr;
      this.sPlus = this.sPlus - this.sPlus / p + plusDm;
      this.sMinus = this.sMinus - this.sMinus / p + minusDm;
    }
    const plusDi = this.sTr === 0 ? 0 : (100 * this.sPlus) / this.sTr;
    const minusDi = this.sTr === 0 ? 0 : (100 * this.sMinus) / this.sTr;
    const diSum = plusDi + minusDi;
    const dx = diSum === 0 ? 0 : (100 * Math.abs(plusDi - minusDi)) / diSum;
    this.lastPlusDi = plusDi;
    this.lastMinusDi = minusDi;
    this.lastDx = dx;
    const seedIndex = 2 * p - 1;
    if (this.index < seedIndex) {
      this.dxSum += dx;
    } else if (this.index === seedIndex) {
      this.dxSum += dx;
      this.adx = this.dxSum / p;
    } else {
      this.adx = ((this.adx as number) * (p - 1) + dx) / p;
    }
  }

  /** Number of bars fed. */
  get barCount(): number {
    return this.index + 1;
  }

  /** ADX of the last bar fed; null until index 2 x period - 1 (28 bars for period 14). */
  get value(): number | null {
    return this.adx;
  }

  get dx(): number | null {
    return this.lastDx;
  }

  get plusDi(): number | null {
    return this.lastPlusDi;
  }

  get minusDi(): number | null {
    return this.lastMinusDi;
  }
}
