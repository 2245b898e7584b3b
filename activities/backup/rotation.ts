import fs from 'node:fs';
import path from 'node:path';
import { ledgerBackupDir } from '../ledger/ledgerStore';
import type { OutputMode } from '../../domain/vocabulary';

/*
 * Log rotation (docs/ledger.md, "3. Backups and log rotation"): each active log of the mode
 * (output/logs/*_<mode>.log) is moved, by an atomic rename, to output/logs/rotated/<name>.<UTC stamp>.log;
 * rotated logs older than LOG_RETENTION_DAYS are deleted (the session backups hold them). The ledger's
 * pre-write copies in backups/ledger/ are pruned by the same retention, always keeping the newest ones.
 * Only files of the given mode are touched: a paper run never renames or deletes a _live file.
 * Run it after the day's backup, so that the backup still holds the day's active logs.
 */

const DAY_MS = 86_400_000;
/** Pre-write ledger copies kept whatever their age. */
export const LEDGER_BACKUPS_KEPT = 10;

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function parseStamp(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : Number.NaN;
}

export interface RotateResult {
  readonly rotated: string[];
  readonly deleted: string[];
}

export function rotateLogs(opts: {
  outputDir: string;
  backupsDir: string;
  mode: OutputMode;
  retentionDays: number;
  now?: Date;
}): RotateResult {
  const now = opts.now ?? new Date();
  const logs = path.join(opts.outputDir, 'logs');
  const rotatedDir = path.join(logs, 'rotated');
  const suffix = `_${opts.mode}.log`;
  const rotated: string[] = [];
  const deleted: string[] = [];
  const cutoff = now.getTime() - opts.retentionDays * DAY_MS;

  if (fs.existsSync(logs)) {
    for (const name of fs.readdirSync(logs).sort()) {
      const file = path.join(logs, name);
      if (!name.endsWith(suffix) || !fs.statSync(file).isFile() || fs.statSync(file).size === 0) continue;
      fs.mkdirSync(rotatedDir, { recursive: true });
      const base = name.slice(0, -'.log'.length);
      for (let n = 0; n < 1000; n++) {
        const target = path.join(rotatedDir, `${base}.${stamp(now)}${n === 0 ? '' : `-${n}`}.log`);
        if (fs.existsSync(target)) continue;
        fs.renameSync(file, target);
        rotated.push(target);
        break;
      }
    }
  }

  if (fs.existsSync(rotatedDir)) {
    const re = new RegExp(`^(.+_${opts.mode})\\.(\\d{8}T\\d{6}Z)(?:-\\d+)?\\.log$`);
    for (const name of fs.readdirSync(rotatedDir).sort()) {
      const m = re.exec(name);
      if (!m) continue;
      const t = parseStamp(m[2]);
      if (Number.isFinite(t) && t < cutoff) {
        fs.rmSync(path.join(rotatedDir, name));
        deleted.push(path.join(rotatedDir, name));
      }
    }
  }

  const lb = ledgerBackupDir(opts.backupsDir);
  if (fs.existsSync(lb)) {
    const re = new RegExp(`^tbot_${opts.mode}_ledger\\.(\\d{8}T\\d{6})\\d*Z?(?:-\\d+)?\\.jsonl\\.gz$`);
    const copies = fs
      .readdirSync(lb)
      .map((name) => ({ name, m: re.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const c of copies.slice(0, Math.max(0, copies.length - LEDGER_BACKUPS_KEPT))) {
      const t = parseStamp(c.m[1]);
      if (Number.isFinite(t) && t < cutoff) {
        fs.rmSync(path.join(lb, c.name));
        deleted.push(path.join(lb, c.name));
      }
    }
  }
  return { rotated, deleted };
}
