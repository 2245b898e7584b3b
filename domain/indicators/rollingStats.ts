/**
 * Running mean and population standard deviation of a growing series (Welford's update: stable for
 * small variances around a large mean, O(1) per value).
 */
export class RunningStats {
  private n = 0;
  private m = 0;
  private m2 = 0;

  push(x: number): void {
    this.n += 1;
    const d = x - this.m;
    this.m += d / this.n;
    this.m2 += d * (x - this.m);
  }

  get count(): number {
    return this.n;
  }

  /** NaN when empty. */
  get mean(): number {
    return this.n > 0 ? this.m : NaN;
  }

  /** Population variance (divided by the count); NaN when empty. */
  get populationVariance(): number {
    return this.n > 0 ? Math.max(0, this.m2 / this.n) : NaN;
  }

  get populationStd(): number {
    return Math.sqrt(this.populationVariance);
  }
}

/**
 * Simple returns close_i / close_(i-1) - 1 between consecutive values, with their running statistics.
 */
export class ReturnStats {
  private prev: number | null = null;
  readonly stats = new RunningStats();

  push(close: number): void {
    if (this.prev !== null) this.stats.push(close / this.prev - 1);
    this.prev = close;
  }

  get count(): number {
    return this.stats.count;
  }

  get populationStd(): number {
    return this.stats.populationStd;
  }
}
