import { VERSION_TAG_RE } from './fieldTypes';

/**
 * VERSION.md format: the first non-empty line is the current release, `# TradeBot v1.0.0`; below it
 * one `## v1.0.0 (YYYY-MM-DD)` section per release describes its architecture and behaviour changes.
 * Only the first line is read, so the history can say anything.
 */
export const VERSION_HEADING_EXAMPLE = '# TradeBot v1.0.0';

/** The tag from VERSION.md's first line, or null when the first line is not `# TradeBot <tag>`. */
export function extractVersionTag(versionMd: string): string | null {
  const first = versionMd
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (first === undefined) return null;
  const m = /^#\s+TradeBot\s+(\S+)$/i.exec(first);
  const tag = m?.[1];
  return tag !== undefined && VERSION_TAG_RE.test(tag) ? tag : null;
}

/** Release order of two tags (`v1.2.3`, suffix ignored): negative when a is older, 0 when equal or unreadable. */
export function compareVersionTags(a: string, b: string): number {
  const parts = (t: string) => /^v(\d+)\.(\d+)\.(\d+)/.exec(t)?.slice(1).map(Number) ?? null;
  const [x, y] = [parts(a), parts(b)];
  if (x === null || y === null) return 0;
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return 0;
}
