import path from 'node:path';
import { createAuditActivities } from '../../activities/auditActivities';
import { listBackups, restoreBackup } from '../../activities/backup/archive';
import { loadConfig } from '../../activities/config/loadConfig';
import type { OutputMode } from '../../domain/trades/tradeRecord';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { parseArgs, reportFailure, stringFlag, UsageError } from './shared';

export const BACKUP_USAGE = `usage: backup <command> [options]

commands:
  now [--mode paper|live] [--label L]
                 archive the mode's logs, trade history, summaries and ledger into
                 backups/tbot_<mode>_<label>_<UTC time>.tar.gz (.enc when ENCRYPTION_KEY is set)
  restore <archive> --to <dir>
                 verify the archive (checksum, decryption, manifest) and unpack it into <dir>,
                 which must be new or empty; nothing is overwritten
  list [--json]  the archives in backups/, oldest first
`;

export interface Writable {
  write(chunk: string): unknown;
}

export interface BackupCommandIO {
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
}

export async function runBackupCommand(argv: string[], io: BackupCommandIO = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const cwd = path.resolve(io.cwd ?? process.env.TRADEBOT_HOME ?? process.cwd());
  const backupsDir = path.join(cwd, 'backups');
  const args = argv[0] === 'backup' ? argv.slice(1) : argv;
  const [command, ...rest] = args;
  try {
    const { flags, positionals } = parseArgs(rest);
    const load = () => loadConfig({ cwd, processEnv: io.env ?? process.env, checkCredentials: false });
    switch (command) {
      case 'now': {
        if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
        const config = await load();
        const m = stringFlag(flags, 'mode');
        if (m !== undefined && m !== 'paper' && m !== 'live') throw new UsageError(`--mode=${m} is not paper or live`);
        const mode: OutputMode = m ?? outputMode(routingFlagsOf(config.bot));
        const now = (io.now ?? (() => new Date()))();
        const label = stringFlag(flags, 'label') ?? `manual-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
        const acts = createAuditActivities({ outputDir: path.join(cwd, 'output'), backupsDir, env: config.env, bot: config.bot, now: () => now });
        const r = await acts.backupOutputs({ mode, label });
        out.write(`${r.reused ? 'already archived' : 'archived'} ${r.files.length > 0 ? `${r.files.length} files ` : ''}-> ${path.relative(cwd, r.archive)}${r.encrypted ? ' (encrypted)' : ''}\nsha256 ${r.sha256}\n`);
        return 0;
      }
      case 'restore': {
        if (positionals.length !== 1) throw new UsageError('restore needs exactly one archive: backup restore <archive> --to <dir>');
        const to = stringFlag(flags, 'to');
        if (!to) throw new UsageError('restore needs --to <dir>');
        const given = positionals[0];
        const archive = path.isAbsolute(given) || given.includes('/') ? path.resolve(cwd, given) : path.join(backupsDir, given);
        const encryptionKey = archive.endsWith('.enc') ? (await load()).env.ENCRYPTION_KEY : undefined;
        const r = await restoreBackup({ archive, to: path.resolve(cwd, to), encryptionKey });
        out.write(`verified ${r.sidecarChecked ? 'checksum, ' : 'no .sha256 beside it; '}manifest of ${r.files.length} files (${r.manifest.mode}, ${r.manifest.label}, ${r.manifest.createdAt})\n`);
        for (const f of r.files) out.write(`  ${f}\n`);
        out.write(`restored into ${r.to}\n`);
        return 0;
      }
      case 'list': {
        const list = listBackups(backupsDir);
        if (flags.get('json') === true) {
          out.write(`${JSON.stringify(list, null, 2)}\n`);
          return 0;
        }
        if (list.length === 0) out.write('no backups in backups/\n');
        for (const b of list) {
          out.write(`${b.createdAt}  ${b.mode.padEnd(8)} ${String(b.bytes).padStart(10)} B  ${b.encrypted ? 'enc' : '   '}  ${b.complete ? '   ' : 'INCOMPLETE'}  ${path.basename(b.archive)}\n`);
        }
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        out.write(BACKUP_USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown backup command "${command}"\n${BACKUP_USAGE}`);
    }
  } catch (e) {
    return reportFailure(e, err as NodeJS.WritableStream);
  }
}
