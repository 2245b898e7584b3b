import { createHash } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { projectPath } from '../../activities/projectRoot';

/* The dashboard's only two files besides its pages: read once at start, compressed once, versioned. */

export const ASSET_NAMES = ['dashboard.css', 'dashboard.js'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

export interface Assets {
  readonly plain: Readonly<Record<AssetName, Buffer>>;
  /**
   * Compressed for slow links. Pages are not compressed (they carry the CSRF token next to reflected
   * input, the BREACH pattern) and stay small instead.
   */
  readonly gzipped: Readonly<Record<AssetName, Buffer>>;
  /** Part of the asset URLs, so a new version is never read from a stale cache. */
  readonly version: string;
}

export function isAssetName(name: string): name is AssetName {
  return (ASSET_NAMES as readonly string[]).includes(name);
}

export function loadAssets(): Assets {
  const read = (name: AssetName) => fs.readFileSync(projectPath('dashboard', 'static', name));
  const plain = { 'dashboard.css': read('dashboard.css'), 'dashboard.js': read('dashboard.js') };
  const gzipped = { 'dashboard.css': zlib.gzipSync(plain['dashboard.css']), 'dashboard.js': zlib.gzipSync(plain['dashboard.js']) };
  const version = createHash('sha256').update(plain['dashboard.css']).update(plain['dashboard.js']).digest('hex').slice(0, 10);
  return { plain, gzipped, version };
}
