import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { decodeKey } from '../config/envBotCrypto';
import { writeFileAtomic } from '../outputs/atomicFile';
import type { OutputMode } from '../../domain/vocabulary';

/*
 * Session backups (`backups/`; docs/ledger.md, "3. Backups and log rotation"): logs, trade history, summaries
 * and the ledger of one mode archived as tar.gz with node-tar, optionally encrypted (AES-256-GCM,
 * ENCRYPTION_KEY), never overwriting.
 *
 * Archive name: tbot_<mode>_<label>_<UTC stamp>.tar.gz[.enc], beside it <archive>.sha256 (sha256sum format).
 * Inside: MANIFEST.json (every file's size and SHA-256) and the files under their output/ relative paths.
 * The sidecar is written last: an archive with a sidecar is complete. A retry with the same mode and label
 * finds that archive and returns it instead of making another, so the activity is idempotent.
 *
 * Encrypted format, version 1: "TBOTBAK1" | iv[12] | ciphertext | tag[16]; the magic is the AAD.
 * A wrong key or a modified file fails authentication: a clear error, never garbage.
 */

export const ENC_MAGIC = Buffer.from('TBOTBAK1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class BackupError extends Error {
  override name = 'BackupError';
}

export interface ManifestFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly format: 'tradebot-backup';
  readonly version: 1;
  readonly mode: OutputMode;
  readonly label: string;
  readonly createdAt: string;
  readonly files: readonly ManifestFile[];
}

/** The files of one mode that a backup holds, as paths relative to outputDir; only those that exist. */
export function backupSources(outputDir: string, mode: OutputMode): string[] {
  const out: string[] = [];
  const add = (rel: string) => {
    if (fs.existsSync(path.join(outputDir, rel)) && fs.statSync(path.join(outputDir, rel)).isFile()) out.push(rel);
  };
  const listDir = (rel: string, keep: (name: string) => boolean) => {
    const dir = path.join(outputDir, rel);
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir).sort()) if (keep(name)) add(path.posix.join(rel, name));
  };
  // Every log of the mode: strategy logs, unresolved orders, risk events, alert failures.
  listDir('logs', (n) => n.endsWith(`_${mode}.log`));
  // Defense-mode history is one file for all modes; it holds no trades of another mode's books.
  add('logs/disaster_log.json');
  add(`trades/trade_history_${mode}.csv`);
  add(`trades/trade_history_${mode}.json`);
  add(`summaries/daily_summary_${mode}.json`);
  listDir('ledgers', (n) => n.startsWith(`tbot_${mode}_ledger.`) && !n.endsWith('.lock') && !n.endsWith('.tmp'));
  return out;
}

export function sanitizeLabel(label: string): string {
  const s = label.trim().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  if (s === '') throw new BackupError(`backup label "${label}" has no usable characters (allowed: letters, digits, _ and -)`);
  return s;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function encryptFile(src: string, dst: string, keyB64: string): Promise<void> {
  const key = decodeKey(keyB64, 'ENCRYPTION_KEY');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(ENC_MAGIC);
  fs.writeFileSync(dst, Buffer.concat([ENC_MAGIC, iv]));
  await pipeline(fs.createReadStream(src), cipher, fs.createWriteStream(dst, { flags: 'a' }));
  fs.appendFileSync(dst, cipher.getAuthTag());
}

/** Decrypts an encrypted archive to `dst`; the tag is checked before `dst` is kept. */
export async function decryptFile(src: string, dst: string, keyB64: string): Promise<void> {
  const key = decodeKey(keyB64, 'ENCRYPTION_KEY');
  const size = fs.statSync(src).size;
  const head = Buffer.alloc(ENC_MAGIC.length + IV_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  const fd = fs.openSync(src, 'r');
  try {
    if (size < head.length + TAG_BYTES) throw new BackupError(`${path.basename(src)} is too short to be an encrypted backup`);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    fs.closeSync(fd);
  }
  if (!head.subarray(0, ENC_MAGIC.length).equals(ENC_MAGIC)) throw new BackupError(`${path.basename(src)} is not an encrypted TradeBot backup (format TBOTBAK1)`);
  const decipher = createDecipheriv('aes-256-gcm', key, head.subarray(ENC_MAGIC.length), { authTagLength: TAG_BYTES });
  decipher.setAAD(ENC_MAGIC);
  decipher.setAuthTag(tag);
  try {
    await pipeline(fs.createReadStream(src, { start: head.length, end: size - TAG_BYTES - 1 }), decipher, fs.createWriteStream(dst));
  } catch {
    fs.rmSync(dst, { force: true });
    throw new BackupError(`cannot decrypt ${path.basename(src)}: wrong ENCRYPTION_KEY or the archive was modified`);
  }
}

export interface BackupResult {
  readonly archive: string;
  readonly sha256: string;
  readonly files: readonly string[];
  readonly encrypted: boolean;
  /** True when an archive with this mode and label already existed (a retry) and was returned as is. */
  readonly reused: boolean;
}

const ARCHIVE_RE = /^tbot_(live|paper|backtest)_([A-Za-z0-9_-]+)_(\d{8}T\d{6}Z)(?:-(\d+))?\.tar\.gz(\.enc)?$/;

function findCompleted(backupsDir: string, mode: OutputMode, label: string): string | null {
  if (!fs.existsSync(backupsDir)) return null;
  for (const name of fs.readdirSync(backupsDir).sort()) {
    const m = ARCHIVE_RE.exec(name);
    if (!m || m[1] !== mode || m[2] !== label) continue;
    const file = path.join(backupsDir, name);
    // Linked into place only after it was completely written: complete even if the sidecar is missing.
    if (!fs.existsSync(`${file}.sha256`)) writeSidecar(file);
    return file;
  }
  return null;
}

function writeSidecar(archive: string): string {
  const sha = sha256File(archive);
  writeFileAtomic(`${archive}.sha256`, `${sha}  ${path.basename(archive)}\n`);
  return sha;
}

/** Creates (or, on a retry with the same mode and label, finds) the backup archive. */
export async function createBackup(opts: {
  outputDir: string;
  backupsDir: string;
  mode: OutputMode;
  label: string;
  encryptionKey?: string;
  now?: Date;
}): Promise<BackupResult> {
  const label = sanitizeLabel(opts.label);
  const now = opts.now ?? new Date();
  fs.mkdirSync(opts.backupsDir, { recursive: true });
  const existing = findCompleted(opts.backupsDir, opts.mode, label);
  if (existing) {
    const sha = fs.readFileSync(`${existing}.sha256`, 'utf8').split(/\s+/)[0];
    return { archive: existing, sha256: sha, files: [], encrypted: existing.endsWith('.enc'), reused: true };
  }
  const files = backupSources(opts.outputDir, opts.mode);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-backup-'));
  const tmpBase = path.join(opts.backupsDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // Snapshot first: a log appended while tar reads it would otherwise change under the archiver.
    const manifestFiles: ManifestFile[] = [];
    for (const rel of files) {
      const dst = path.join(staging, rel);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.copyFileSync(path.join(opts.outputDir, rel), dst);
      manifestFiles.push({ path: rel, bytes: fs.statSync(dst).size, sha256: sha256File(dst) });
    }
    const manifest: Manifest = { format: 'tradebot-backup', version: 1, mode: opts.mode, label, createdAt: now.toISOString(), files: manifestFiles };
    fs.writeFileSync(path.join(staging, 'MANIFEST.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const tarTmp = `${tmpBase}.tar.gz`;
    await tar.c({ gzip: true, cwd: staging, file: tarTmp, portable: true, noDirRecurse: true }, ['MANIFEST.json', ...files]);
    let tmp = tarTmp;
    if (opts.encryptionKey) {
      tmp = `${tmpBase}.tar.gz.enc`;
      await encryptFile(tarTmp, tmp, opts.encryptionKey);
      fs.rmSync(tarTmp);
    }
    fsyncFile(tmp);
    const ext = opts.encryptionKey ? '.tar.gz.enc' : '.tar.gz';
    let archive = '';
    for (let n = 0; n < 1000 && archive === ''; n++) {
      const candidate = path.join(opts.backupsDir, `tbot_${opts.mode}_${label}_${stamp(now)}${n === 0 ? '' : `-${n}`}${ext}`);
      try {
        // link() never replaces an existing file: an earlier archive is never overwritten.
        fs.linkSync(tmp, candidate);
        archive = candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    if (archive === '') throw new BackupError(`no free archive name in ${opts.backupsDir}`);
    fs.rmSync(tmp);
    const sha256 = writeSidecar(archive);
    return { archive, sha256, files, encrypted: !!opts.encryptionKey, reused: false };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    for (const ext of ['.tar.gz', '.tar.gz.enc']) fs.rmSync(`${tmpBase}${ext}`, { force: true });
  }
}

export interface BackupListing {
  readonly archive: string;
  readonly mode: string;
  readonly label: string;
  readonly createdAt: string;
  readonly bytes: number;
  readonly encrypted: boolean;
  /** The sidecar checksum exists (the archive was completed); `verify` recomputes it. */
  readonly complete: boolean;
}

export function listBackups(backupsDir: string): BackupListing[] {
  if (!fs.existsSync(backupsDir)) return [];
  const out: BackupListing[] = [];
  for (const name of fs.readdirSync(backupsDir).sort()) {
    const m = ARCHIVE_RE.exec(name);
    if (!m) continue;
    const file = path.join(backupsDir, name);
    const s = m[3];
    out.push({
      archive: file,
      mode: m[1],
      label: m[2],
      createdAt: `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`,
      bytes: fs.statSync(file).size,
      encrypted: !!m[5],
      complete: fs.existsSync(`${file}.sha256`),
    });
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.archive.localeCompare(b.archive));
}

export interface RestoreResult {
  readonly to: string;
  readonly files: readonly string[];
  readonly manifest: Manifest;
  /** Whether a sidecar checksum existed and matched; the manifest is always checked. */
  readonly sidecarChecked: boolean;
}

/**
 * Verifies and unpacks an archive into `to`, which must not exist or be empty (nothing is overwritten):
 * sidecar checksum, decryption (authenticated), entry names (no absolute paths, no "..", files and folders
 * only), then every file against the manifest's sizes and hashes.
 */
export async function restoreBackup(opts: { archive: string; to: string; encryptionKey?: string }): Promise<RestoreResult> {
  const archive = path.resolve(opts.archive);
  if (!fs.existsSync(archive)) throw new BackupError(`${opts.archive} does not exist`);
  let sidecarChecked = false;
  if (fs.existsSync(`${archive}.sha256`)) {
    const want = fs.readFileSync(`${archive}.sha256`, 'utf8').split(/\s+/)[0];
    if (sha256File(archive) !== want) throw new BackupError(`${path.basename(archive)} does not match its .sha256 checksum: it was modified or is incomplete`);
    sidecarChecked = true;
  }
  const to = path.resolve(opts.to);
  if (fs.existsSync(to) && fs.readdirSync(to).length > 0) throw new BackupError(`${opts.to} is not empty; restore into a new or empty folder (nothing is overwritten)`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-restore-'));
  try {
    let tarFile = archive;
    if (archive.endsWith('.enc')) {
      if (!opts.encryptionKey) throw new BackupError(`${path.basename(archive)} is encrypted: set ENCRYPTION_KEY in .env`);
      tarFile = path.join(work, 'archive.tar.gz');
      await decryptFile(archive, tarFile, opts.encryptionKey);
    }
    const entries: { path: string; type: string }[] = [];
    try {
      await tar.t({ file: tarFile, onReadEntry: (e) => entries.push({ path: e.path, type: e.type }) });
    } catch (err) {
      throw new BackupError(`${path.basename(archive)} is not a readable tar.gz: ${(err as Error).message}`);
    }
    for (const e of entries) {
      const parts = e.path.split('/');
      if (path.isAbsolute(e.path) || parts.includes('..')) throw new BackupError(`archive entry ${e.path} points outside the restore folder`);
      if (e.type !== 'File' && e.type !== 'Directory') throw new BackupError(`archive entry ${e.path} is a ${e.type}; only files and folders are restored`);
    }
    if (!entries.some((e) => e.path === 'MANIFEST.json')) throw new BackupError(`${path.basename(archive)} has no MANIFEST.json`);
    fs.mkdirSync(to, { recursive: true });
    await tar.x({ file: tarFile, cwd: to, strict: true, keep: true, preservePaths: false });
    const manifest = JSON.parse(fs.readFileSync(path.join(to, 'MANIFEST.json'), 'utf8')) as Manifest;
    const problems: string[] = [];
    for (const f of manifest.files) {
      const p = path.join(to, f.path);
      if (!fs.existsSync(p)) problems.push(`${f.path} is missing`);
      else if (fs.statSync(p).size !== f.bytes || sha256File(p) !== f.sha256) problems.push(`${f.path} does not match the manifest`);
    }
    const listed = new Set(['MANIFEST.json', ...manifest.files.map((f) => f.path)]);
    for (const e of entries) if (e.type === 'File' && !listed.has(e.path)) problems.push(`${e.path} is not in the manifest`);
    if (problems.length > 0) throw new BackupError(`restored files fail verification: ${problems.join('; ')}`);
    return { to, files: manifest.files.map((f) => f.path), manifest, sidecarChecked };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
