import { ConfigError } from '../config/configError';

/**
 * The grid of a parameter sweep: every combination of the axes' values, in axis order, each with a
 * file-name-safe name (its results folder). Bad grids are refused with every problem at once, before any
 * cell's config is even validated: an axis without values, a key or a value given twice (two cells with
 * the same settings would write the same folder), two cells whose names differ only in characters a
 * file name cannot hold, or a grid too large to mean what was typed.
 */

export interface SweepAxis {
  readonly key: string;
  readonly values: readonly string[];
}

export interface GridCell {
  /** File-name-safe, e.g. `STRAT_OPEN_BUFFER=0.01,MAX_TRADES=2`. */
  readonly name: string;
  readonly settings: Readonly<Record<string, string>>;
}

/** More cells than this is a typo (an axis pasted twice, a range meant as two values), not a sweep. */
export const MAX_SWEEP_CELLS = 10_000;

export function sweepGrid(axes: readonly SweepAxis[]): GridCell[] {
  const problems = axisProblems(axes);
  if (problems.length > 0) throw new ConfigError(problems);
  let combos: Record<string, string>[] = [{}];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  const cells = combos.map((settings) => ({ name: cellName(settings), settings }));
  const clash = firstNameClash(cells);
  if (clash !== null) throw new ConfigError(clash);
  return cells;
}

function axisProblems(axes: readonly SweepAxis[]): string[] {
  if (axes.length === 0) return ['a sweep needs at least one axis (KEY=v1,v2,...)'];
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const axis of axes) {
    if (keys.has(axis.key)) problems.push(`sweep ${axis.key}: the key is given more than once`);
    keys.add(axis.key);
    if (axis.values.length === 0) problems.push(`sweep ${axis.key}: no values (allowed: KEY=v1,v2,...)`);
    const seen = new Set<string>();
    for (const v of axis.values) {
      if (seen.has(v)) problems.push(`sweep ${axis.key}: the value ${v} is given more than once`);
      seen.add(v);
    }
  }
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_SWEEP_CELLS) {
    problems.push(`the sweep grid has ${count} cells (${axes.map((a) => a.values.length).join(' x ')}); at most ${MAX_SWEEP_CELLS}`);
  }
  return problems;
}

function cellName(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
    .replace(/[^A-Za-z0-9=,._-]/g, '_');
}

function firstNameClash(cells: readonly GridCell[]): string | null {
  const byName = new Map<string, GridCell>();
  for (const cell of cells) {
    const other = byName.get(cell.name);
    if (other !== undefined) {
      const show = (c: GridCell) => Object.entries(c.settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
      return `sweep cells ${show(other)} and ${show(cell)} would share the results folder ${cell.name}; use values that differ in letters, digits or . _ -`;
    }
    byName.set(cell.name, cell);
  }
  return null;
}
