/** Bollinger bands around a simple moving mean of closes. */
export interface BollingerBands {
  readonly middle: number;
  readonly upper: number;
  readonly lower: number;
  readonly std: number;
}

/**
 * Bollinger(period, k): mean of the last `period` closes +/- k population standard deviations.
 * Keeps a ring of the last `period` closes and recomputes mean and deviation from it (two passes over a
 * fixed-size window: O(period) = O(1) per bar; running sums would leave rounding residue in the deviation).
 */
export class StreamingBollinger {
  private readonly ring: Float64Array;
  private count = 0;
  private next = 0;
  private cached: BollingerBands | null = null;

  constructor(
    readonly period = 20,
    readonly k = 2,
  ) {
    if (!Number.isInteger(period) || period < 1) throw new Error(`Bollinger period must be a positive integer: ${period}`);
    this.ring = new Float64Array(period);
  }

  update(close: number): void {
    this.ring[this.next] = close;
    this.next = (this.next + 1) % this.period;
    if (this.count < this.period) this.count += 1;
    this.cached = null;
  }

  /** Null until `period` closes have been seen. */
  get bands(): BollingerBands | null {
    if (this.count < this.period) return null;
    if (this.cached) return this.cached;
    // Deviations from the oldest close (a shift that changes nothing mathematically): a flat window then
    // gives exactly mean = close and std = 0, so "at the band" really triggers at equality.
    const p = this.period;
    const base = this.ring[this.next % p]!;
    let sum = 0;
    for (let j = 0; j < p; j++) sum += this.ring[(this.next + j) % p]! - base;
    const shiftedMean = sum / p;
    const mean = base + shiftedMean;
    let ss = 0;
    for (let j = 0; j < p; j++) {
      const d = this.ring[(this.next + j) % p]! - base - shiftedMean;
      ss += d * d;
    }
    const std = Math.sqrt(ss / this.period);
    this.cached = { middle: mean, upper: mean + this.k * std, lower: mean - this.k * std, std };
    return this.cached;
  }
}
