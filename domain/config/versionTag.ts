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
