import type { Bar } from '../market/bar';

/**
 * Session VWAP = cumulative (typical price (H+L+C)/3 x volume) / cumulative volume.
 * Undefined (null) until cumulative volume is above zero; zero-volume bars add nothing.
 */
export class StreamingVwap {
  private sumPv = 0;
  private sumV = 0;

  update(bar: Bar): void {
    if (!(bar.v > 0)) return;
    this.sumPv += ((bar.h + bar.l + bar.c) / 3) * bar.v;
    this.sumV += bar.v;
  }

  get value(): number | null {
    return this.sumV > 0 ? this.sumPv / this.sumV : null;
  }
}
