import path from 'node:path';
import { createAuditActivities } from '../../activities/auditActivities';
import { listBackups, restoreBackup } from '../../activities/backup/archive';
import { loadConfig } from '../../activities/config/loadConfig';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { UsageError } from './args';
import { groupCommand, leafCommand, runCommandLine, type CommandIo } from './command';
import { reportFailure } from './shared';
import type { OutputMode } from '../../domain/vocabulary';
import { COMMAND_SUMMARIES } from './catalog';

export interface BackupCommandIO extends CommandIo {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
}

function context(io: BackupCommandIO) {
  const cwd = path.resolve(io.cwd ?? process.env.TRADEBOT_HOME ?? process.cwd());
  return {
    out: io.stdout ?? process.stdout,
    cwd,
    backupsDir: path.join(cwd, 'backups'),
    load: () => loadConfig({ cwd, processEnv: io.env ?? process.env, checkCredentials: false }),
  };
}

const nowCommand = leafCommand(
  {
    name: 'now',
    summary: "archive the mode's logs, trade history, summaries and ledger",
    description: 'into backups/tbot_<mode>_<label>_<UTC time>.tar.gz (.enc when ENCRYPTION_KEY is set)',
    options: {
      mode: { type: 'string', value: 'paper|live', description: 'which outputs (default: the mode the configuration routes to)' },
      label: { type: 'string', value: 'L', description: "the archive's label (default: manual-<UTC time>)" },
    },
  },
  async ({ values }, io: BackupCommandIO) => {
    const { out, cwd, backupsDir, load } = context(io);
    const m = values.mode;
    if (m !== undefined && m !== 'paper' && m !== 'live') throw new UsageError(`--mode=${m} is not paper or live`);
    const config = await load();
    const mode: OutputMode = m ?? outputMode(routingFlagsOf(config.bot));
    const now = (io.now ?? (() => new Date()))();
    const label = values.label ?? `manual-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
    const acts = createAuditActivities({ outputDir: path.join(cwd, 'output'), backupsDir, env: config.env, bot: config.bot, now: () => now });
    const r = await acts.backupOutputs({ mode, label });
    out.write(`${r.reused ? 'already archived' : 'archived'} ${r.files.length > 0 ? `${r.files.length} files ` : ''}-> ${path.relative(cwd, r.archive)}${r.encrypted ? ' (encrypted)' : ''}\nsha256 ${r.sha256}\n`);
    return 0;
  },
);

const restoreCommand = leafCommand(
  {
    name: 'restore',
    summary: 'verify an archive (checksum, decryption, manifest) and unpack it into a new or empty folder',
    description: 'nothing is overwritten',
    options: { to: { type: 'string', value: 'DIR', description: 'the folder to unpack into (required; new or empty)' } },
    positionals: [{ name: 'ARCHIVE', description: 'a file in backups/, or a path' }],
  },
  async ({ values, positionals }, io: BackupCommandIO) => {
    const { out, cwd, backupsDir, load } = context(io);
    const to = values.to;
    if (!to) throw new UsageError('restore needs --to DIR');
    const given = positionals[0] ?? '';
    const archive = path.isAbsolute(given) || given.includes('/') ? path.resolve(cwd, given) : path.join(backupsDir, given);
    const encryptionKey = archive.endsWith('.enc') ? (await load()).env.ENCRYPTION_KEY : undefined;
    const r = await restoreBackup({ archive, to: path.resolve(cwd, to), encryptionKey });
    out.write(`verified ${r.sidecarChecked ? 'checksum, ' : 'no .sha256 beside it; '}manifest of ${r.files.length} files (${r.manifest.mode}, ${r.manifest.label}, ${r.manifest.createdAt})\n`);
    for (const f of r.files) out.write(`  ${f}\n`);
    out.write(`restored into ${r.to}\n`);
    return 0;
  },
);

const listCommand = leafCommand(
  { name: 'list', summary: 'the archives in backups/, oldest first', options: { json: { type: 'boolean', description: 'print the list as JSON' } } },
  async ({ values }, io: BackupCommandIO) => {
    const { out, backupsDir } = context(io);
    const list = listBackups(backupsDir);
    if (values.json) {
      out.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    if (list.length === 0) out.write('no backups in backups/\n');
    for (const b of list) {
      out.write(`${b.createdAt}  ${b.mode.padEnd(8)} ${String(b.bytes).padStart(10)} B  ${b.encrypted ? 'enc' : '   '}  ${b.complete ? '   ' : 'INCOMPLETE'}  ${path.basename(b.archive)}\n`);
    }
    return 0;
  },
);

export const backupCommand = groupCommand<BackupCommandIO>({
  name: 'backup',
  summary: COMMAND_SUMMARIES.backup,
  subcommands: [nowCommand, restoreCommand, listCommand],
});

/** `backup ...` on its own (tests; a leading `backup` is tolerated): the exit code, failures printed to stderr. */
export async function runBackupCommand(argv: string[], io: BackupCommandIO = {}): Promise<number> {
  try {
    return await runCommandLine(backupCommand, argv[0] === 'backup' ? argv.slice(1) : argv, io, '');
  } catch (e) {
    return reportFailure(e, io.stderr ?? process.stderr);
  }
}
