import { ConfigError } from '../config/configError';

/**
 * The symbol list grammar (SYMBOL_LIST_PATH; docs/screening.md "Symbol lists"), pure: the one parser for the
 * worker, the screener and the backtester, so a list that one accepts the others read the same way.
 * - symbols are separated by commas, spaces, tabs or new lines (any mix, repeated separators allowed);
 * - `#` starts a comment that runs to the end of its line;
 * - a byte order mark and CRLF line ends are accepted;
 * - symbols are upper-cased; a repeated symbol is kept once, where it first appears;
 * - each symbol must look like a ticker (SYMBOL_RE, at most MAX_SYMBOL_LENGTH characters); every bad token
 *   is reported at once, naming the source, its line and the token;
 * - a list without symbols is an error (a universe cannot be empty by accident).
 */

/** A letter, then letters and digits, optionally one class suffix (`BRK.B`, `BF-B`). */
export const SYMBOL_RE = /^[A-Z][A-Z0-9]*(?:[.-][A-Z0-9]+)?$/;
export const MAX_SYMBOL_LENGTH = 10;
/** Bad tokens listed in one error, at most: a wrong file (a CSV export, a binary) should not flood the log. */
const MAX_REPORTED = 10;
const SEPARATORS = /[\s,]+/;
const GRAMMAR = 'symbols are separated by commas, spaces or new lines; # starts a comment';

export interface SymbolToken {
  readonly token: string;
  /** 1-based line number in the text. */
  readonly line: number;
}

/** The tokens of the text with their line numbers, comments and separators removed, case as written. */
export function symbolTokens(text: string): SymbolToken[] {
  const out: SymbolToken[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n|\r/)
    .forEach((raw, i) => {
      const hash = raw.indexOf('#');
      const body = hash >= 0 ? raw.slice(0, hash) : raw;
      for (const token of body.split(SEPARATORS)) if (token !== '') out.push({ token, line: i + 1 });
    });
  return out;
}

export function isTickerSymbol(symbol: string): boolean {
  return symbol.length <= MAX_SYMBOL_LENGTH && SYMBOL_RE.test(symbol);
}

/** One line per bad token: `<source>:<line>: "<token>" is not a ticker symbol (...)`. */
function badTokenProblem(source: string, t: SymbolToken): string {
  const shown = t.token.length > 40 ? `${t.token.slice(0, 37)}...` : t.token;
  return `SYMBOL_LIST_PATH: ${source}:${t.line}: "${shown}" is not a ticker symbol (${GRAMMAR})`;
}

/**
 * The symbols of a list, upper-cased and de-duplicated in order of first appearance. `source` names the
 * list in errors (the file path). Throws a ConfigError with one problem per bad token, or when it is empty.
 */
export function parseSymbolList(text: string, source: string): string[] {
  const bad: SymbolToken[] = [];
  const seen = new Set<string>();
  for (const t of symbolTokens(text)) {
    const symbol = t.token.toUpperCase();
    if (!isTickerSymbol(symbol)) bad.push(t);
    else seen.add(symbol);
  }
  if (bad.length > 0) {
    const problems = bad.slice(0, MAX_REPORTED).map((t) => badTokenProblem(source, t));
    if (bad.length > MAX_REPORTED) problems.push(`SYMBOL_LIST_PATH: ${source}: ${bad.length - MAX_REPORTED} more bad tokens not shown`);
    throw new ConfigError(problems);
  }
  if (seen.size === 0) throw new ConfigError(`SYMBOL_LIST_PATH: ${source} lists no symbols (${GRAMMAR})`);
  return [...seen];
}
