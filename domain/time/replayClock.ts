/**
 * Maps real (workflow) time to the market time a session reasons in.
 * Live: identity. TEST_MODE replay: market time runs `speed` times faster from an anchor,
 * so a whole day of minute bars replays in minutes while every rule still sees minute bars.
 */
export interface ReplayClock {
  /** Real epoch ms at which market time `anchorMarketMs` was reached. */
  readonly anchorRealMs: number;
  readonly anchorMarketMs: number;
  /** Market milliseconds per real millisecond (1 = live). */
  readonly speed: number;
}

export function liveClock(): ReplayClock {
  return { anchorRealMs: 0, anchorMarketMs: 0, speed: 1 };
}

export function marketNow(clock: ReplayClock, realNowMs: number): number {
  return clock.anchorMarketMs + (realNowMs - clock.anchorRealMs) * clock.speed;
}

/** Real milliseconds to wait until market time `marketMs` (0 when already past). */
export function realDelayUntil(clock: ReplayClock, realNowMs: number, marketMs: number): number {
  const delay = (marketMs - marketNow(clock, realNowMs)) / clock.speed;
  return delay > 0 ? Math.ceil(delay) : 0;
}
