/**
 * The weights table (docs/risk.md, "Formulas"): how a session's allocation is split over its n accepted
 * signals, strongest first. Pure and deterministic.
 *
 * Rows:
 * - n = 1, 2, 3 are built in: 100; 60/40; 40/30/30.
 * - The configured WEIGHTS list is the row for n = WEIGHTS.length (4 by default: 40/20/20/20).
 *   A list of length 1..3 replaces that built-in row.
 * - An n with no row of its own:
 *   - if a longer row exists, its first n weights are taken (strongest first) and renormalised;
 *   - otherwise the longest row is extended by repeating its last (weakest) weight and renormalised,
 *     so every extra signal counts like the weakest one and the table's proportions are kept
 *     (default, n = 5: 0.4,0.2,0.2,0.2,0.2 / 1.2 = 1/3, 1/6, 1/6, 1/6, 1/6).
 * Every row is normalised, so the weights of n accepted trades always sum to 1.
 * A row whose weights are all zero (or not finite) falls back to equal weights.
 * In defense mode the same function is called with the lower trade count: that is the recomputation.
 */

export const BUILT_IN_WEIGHT_ROWS: Readonly<Record<number, readonly number[]>> = {
  1: [1],
  2: [0.6, 0.4],
  3: [0.4, 0.3, 0.3],
};

export const DEFAULT_CONFIG_WEIGHTS: readonly number[] = [0.4, 0.2, 0.2, 0.2];

function normalise(row: readonly number[]): number[] {
  const clean = row.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const sum = clean.reduce((a, b) => a + b, 0);
  if (sum <= 0) return row.map(() => 1 / row.length);
  return clean.map((w) => w / sum);
}

/** The explicitly defined rows, keyed by n: built-in rows overlaid with the configured WEIGHTS row. */
export function weightRows(configWeights: readonly number[]): Map<number, readonly number[]> {
  const rows = new Map<number, readonly number[]>();
  for (const [n, row] of Object.entries(BUILT_IN_WEIGHT_ROWS)) rows.set(Number(n), row);
  const configured = configWeights.length > 0 ? configWeights : DEFAULT_CONFIG_WEIGHTS;
  rows.set(configured.length, configured);
  return rows;
}

/**
 * Weights for n accepted signals, strongest first; length n, each >= 0, summing to 1
 * (up to floating-point rounding). n <= 0 gives an empty list.
 */
export function weightsFor(n: number, configWeights: readonly number[] = DEFAULT_CONFIG_WEIGHTS): number[] {
  const count = Math.floor(n);
  if (!(count > 0)) return [];
  const rows = weightRows(configWeights);
  const exact = rows.get(count);
  if (exact) return normalise(exact);
  const lengths = [...rows.keys()].sort((a, b) => a - b);
  const longer = lengths.find((len) => len > count);
  if (longer !== undefined) return normalise((rows.get(longer) ?? []).slice(0, count));
  const longest = rows.get(lengths[lengths.length - 1]) ?? [1];
  const weakest = longest[longest.length - 1];
  const extended = [...longest];
  while (extended.length < count) extended.push(weakest);
  return normalise(extended);
}

/** The weight of the signal ranked `rank` (0 = strongest) among n accepted signals; 0 when out of range. */
export function weightAt(rank: number, n: number, configWeights: readonly number[] = DEFAULT_CONFIG_WEIGHTS): number {
  if (!Number.isInteger(rank) || rank < 0 || rank >= n) return 0;
  return weightsFor(n, configWeights)[rank] ?? 0;
}
