import { ApplicationFailure } from '@temporalio/common';
import type { BotConfig } from '../domain/config/botConfigSchema';
import { isConfigError } from '../domain/config/configError';
import { FAILURE_TYPE, type FailureType } from '../domain/errors/errorClasses';
import type { EnvConfig } from '../domain/config/envSchema';
import { bookForMode, buildTradePostings } from '../domain/ledger/postings';
import { outputMode, routingFlagsOf } from '../domain/routing';
import type { TradeRecord } from '../domain/trades/tradeRecord';
import { BackupError, createBackup, type BackupResult } from './backup/archive';
import { rotateLogs as rotateLogFiles, type RotateResult } from './backup/rotation';
import { LockTimeoutError } from './ledger/fileLock';
import { exportToManagerApi, LedgerExportError, loadValidBook, writeManagerFiles, type ApiExportResult } from './ledger/ledgerExport';
import { postEntries } from './ledger/ledgerStore';
import { ManagerApiClient, ManagerApiError } from './ledger/managerApi';
import { notify as sendAlert, NotifyDeliveryError, type NotifyEvent, type NotifyInput, type NotifyResult } from './notify/notifier';
import { appendUnresolvedOrder, type UnresolvedOrder } from './outputs/unresolvedOrders';
import type { OutputMode } from '../domain/vocabulary';

/*
 * Audit-trail activities: ledger posting and Manager.io export, alerts, backups and log rotation.
 * Inputs and outputs are plain data. Each is idempotent: postings are exactly-once on tradeId + kind,
 * Manager.io entries on their Reference, alerts on their id per channel, backups on mode + label.
 *
 * Routing guard: whatever a caller asks, a worker whose configuration routes to _paper (TEST_MODE,
 * FORCE_PAPER_EXPORT, or every enabled broker in paper mode) refuses every `live` request, so no _live file
 * is created or modified (README.md, "Modes and where outputs go"; domain/routing.ts).
 *
 * Error types (ApplicationFailure.type): ConfigError and LedgerValidationError and LogicError do not
 * retry; LedgerBusy, ManagerApiError (5xx, network) and NotifyDeliveryError do.
 */

export interface AuditActivityDeps {
  /** The output/ folder. */
  readonly outputDir: string;
  /** The backups/ folder. */
  readonly backupsDir: string;
  readonly env: EnvConfig;
  readonly bot: BotConfig;
  readonly now?: () => Date;
  /** Test seams: HTTP for Manager.io and the webhook, SMTP transport options. */
  readonly fetchImpl?: typeof fetch;
  readonly smtpOptions?: Record<string, unknown>;
}

export interface PostTradeResult {
  readonly book: 'live' | 'paper' | null;
  /** entryKeys written by this call. */
  readonly posted: string[];
  /** entryKeys the book already had (a retry or a re-run). */
  readonly alreadyPosted: string[];
  readonly skipped: string | null;
}

export interface ExportLedgerInput {
  readonly mode: OutputMode;
  /** `auto` (after a trade) honours LEDGER_EXPORT_MODE=off; `manual` (the CLI) always exports. */
  readonly trigger?: 'auto' | 'manual';
  /** Post to the Manager.io API. Default: only the live book, and only when MANAGER_API_URL is set. */
  readonly api?: boolean;
}

export interface ExportLedgerResult {
  readonly skipped: string | null;
  readonly entries: number;
  readonly files: string[];
  readonly api: ApiExportResult | null;
}

const nonRetryable = (message: string, type: FailureType) => ApplicationFailure.nonRetryable(message, type);

export function createAuditActivities(deps: AuditActivityDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const routed = outputMode(routingFlagsOf(deps.bot));
  const guard = (mode: OutputMode) => {
    if (mode !== 'live' && mode !== 'paper' && mode !== 'backtest') throw nonRetryable(`unknown output mode ${String(mode)}`, FAILURE_TYPE.LogicError);
    if (mode === 'live' && routed !== 'live') {
      throw nonRetryable('refusing a _live output: TEST_MODE, FORCE_PAPER_EXPORT or a paper-only account routes every output to _paper', FAILURE_TYPE.ConfigError);
    }
  };
  const managerClient = () =>
    new ManagerApiClient({ baseUrl: deps.env.MANAGER_API_URL as string, token: deps.env.MANAGER_API_TOKEN as string, fetchImpl: deps.fetchImpl });

  return {
    async postTradeToLedger(input: { mode: OutputMode; trade: TradeRecord }): Promise<PostTradeResult> {
      guard(input.mode);
      if (input.mode === 'backtest') return { book: null, posted: [], alreadyPosted: [], skipped: 'backtests write no ledger' };
      if (input.trade.mode !== input.mode) throw nonRetryable(`trade ${input.trade.tradeId} has mode ${input.trade.mode} but was routed to ${input.mode}`, FAILURE_TYPE.LogicError);
      let entries;
      try {
        entries = buildTradePostings(input.trade);
      } catch (err) {
        throw nonRetryable((err as Error).message, FAILURE_TYPE.LogicError);
      }
      const book = bookForMode(input.mode);
      try {
        const r = postEntries({ outputDir: deps.outputDir, backupsDir: deps.backupsDir, book, entries, now: now() });
        return { book, posted: r.posted, alreadyPosted: r.alreadyPosted, skipped: null };
      } catch (err) {
        if (err instanceof LockTimeoutError) throw ApplicationFailure.retryable(err.message, FAILURE_TYPE.LedgerBusy);
        throw nonRetryable((err as Error).message, FAILURE_TYPE.LedgerValidationError);
      }
    },

    async exportLedger(input: ExportLedgerInput): Promise<ExportLedgerResult> {
      guard(input.mode);
      if (input.mode === 'backtest') return { skipped: 'backtests write no ledger', entries: 0, files: [], api: null };
      if ((input.trigger ?? 'auto') === 'auto' && deps.bot.LEDGER_EXPORT_MODE === 'off') {
        return { skipped: 'LEDGER_EXPORT_MODE is off', entries: 0, files: [], api: null };
      }
      const book = bookForMode(input.mode);
      let entries;
      try {
        entries = loadValidBook(deps.outputDir, book);
      } catch (err) {
        throw nonRetryable((err as Error).message, err instanceof LedgerExportError ? FAILURE_TYPE.LedgerValidationError : FAILURE_TYPE.LogicError);
      }
      const paths = writeManagerFiles(deps.outputDir, book, entries);
      const configured = !!(deps.env.MANAGER_API_URL && deps.env.MANAGER_API_TOKEN);
      const wantApi = input.api ?? (book === 'live' && configured);
      if (input.api && !configured) throw nonRetryable('Manager.io API export needs MANAGER_API_URL and MANAGER_API_TOKEN in .env', FAILURE_TYPE.ConfigError);
      let api: ApiExportResult | null = null;
      if (wantApi) {
        try {
          api = await exportToManagerApi(managerClient(), book, entries);
        } catch (err) {
          if (err instanceof ManagerApiError && err.retryable) throw ApplicationFailure.retryable(err.message, FAILURE_TYPE.ManagerApiError);
          throw nonRetryable((err as Error).message, FAILURE_TYPE.ManagerApiError);
        }
      }
      return { skipped: null, entries: entries.length, files: [paths.tsv, paths.json], api };
    },

    async notify(input: NotifyInput): Promise<NotifyResult> {
      guard(input.mode);
      try {
        return await sendAlert({ outputDir: deps.outputDir, env: deps.env, bot: deps.bot, now: deps.now, fetchImpl: deps.fetchImpl, smtpOptions: deps.smtpOptions }, input);
      } catch (err) {
        if (err instanceof NotifyDeliveryError) throw ApplicationFailure.retryable(err.message, FAILURE_TYPE.NotifyDeliveryError, err.result);
        throw err;
      }
    },

    async backupOutputs(input: { mode: OutputMode; label: string }): Promise<BackupResult> {
      guard(input.mode);
      try {
        return await createBackup({
          outputDir: deps.outputDir,
          backupsDir: deps.backupsDir,
          mode: input.mode,
          label: input.label,
          encryptionKey: deps.env.ENCRYPTION_KEY,
          now: now(),
        });
      } catch (err) {
        // A bad label or key will not get better on retry; disk errors might.
        if (err instanceof BackupError || isConfigError(err)) throw nonRetryable((err as Error).message, FAILURE_TYPE.ConfigError);
        throw err;
      }
    },

    /** Appends to logs/unresolved_orders_<mode>.log in LOG_FORMAT; idempotent on the record id. */
    async recordUnresolvedOrder(input: { mode: OutputMode; order: UnresolvedOrder }): Promise<{ written: boolean }> {
      guard(input.mode);
      return appendUnresolvedOrder(deps.outputDir, input.mode, deps.bot.LOG_FORMAT, input.order);
    },

    async rotateLogs(input: { mode: OutputMode }): Promise<RotateResult> {
      guard(input.mode);
      return rotateLogFiles({
        outputDir: deps.outputDir,
        backupsDir: deps.backupsDir,
        mode: input.mode,
        retentionDays: deps.bot.LOG_RETENTION_DAYS,
        now: now(),
      });
    },
  };
}

export type AuditActivities = ReturnType<typeof createAuditActivities>;

/**
 * An `alert(subject, body)` for activities that alert on their own (the account event sink of
 * activities/disasterLog.ts). Kill-switch and defense-mode subjects keep their event type; failures
 * are swallowed here because that sink already logs them and must not fail.
 */
export function accountEventAlert(deps: AuditActivityDeps, mode: OutputMode): (subject: string, body: string) => Promise<void> {
  const acts = createAuditActivities(deps);
  return async (subject, body) => {
    const event: NotifyEvent = /kill/i.test(subject) ? 'kill_switch' : /defen[cs]e/i.test(subject) ? 'defense_mode' : 'critical';
    try {
      await acts.notify({ event, mode, subject, lines: body.split('\n') });
    } catch {
      // Logged in logs/alerts_<mode>.log by the notifier.
    }
  };
}
