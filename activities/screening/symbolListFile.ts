import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../domain/config/configError';
import { parseSymbolList } from '../../domain/screening/symbolList';

/**
 * The one reader of SYMBOL_LIST_PATH files (the worker's universe, the screener, the backtester): reads
 * the file and parses it with domain/screening/symbolList.ts. A relative path is resolved against
 * `baseDir` (the project folder). Errors are ConfigErrors naming the file (never retried).
 */
export function readSymbolListFile(file: string, baseDir: string = process.cwd()): string[] {
  const full = path.resolve(baseDir, file.trim());
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    throw new ConfigError(`SYMBOL_LIST_PATH: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseSymbolList(text, full);
}
