/** The bench's clocks and number formats. A shared machine's other work only ever makes a run slower, so best times are kept. */

export function best<T>(runs: number, fn: () => T): { ms: number; value: T } {
  let ms = Infinity;
  let value: T | undefined;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    value = fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, value: value as T };
}

/** Best times of two functions run in turns, for at least `rounds` rounds and `minMs` milliseconds. */
export function bestAlternating<A, B>(rounds: number, minMs: number, a: () => A, b: () => B): [{ ms: number; value: A }, { ms: number; value: B }] {
  let msA = Infinity;
  let msB = Infinity;
  let valueA: A | undefined;
  let valueB: B | undefined;
  const started = performance.now();
  for (let k = 0; k < rounds || (performance.now() - started < minMs && k < 1000); k++) {
    let t0 = performance.now();
    valueA = a();
    msA = Math.min(msA, performance.now() - t0);
    t0 = performance.now();
    valueB = b();
    msB = Math.min(msB, performance.now() - t0);
  }
  return [
    { ms: msA, value: valueA as A },
    { ms: msB, value: valueB as B },
  ];
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const rate = (bars: number, ms: number) => Math.round(bars / (ms / 1000));
export const fmt = (n: number) => n.toLocaleString('en-US');
export const round3 = (x: number) => Math.round(x * 1000) / 1000;
export const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
