import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createAccountActivities } from '../activities/accountClient';
import { accountEventAlert, createAuditActivities, type AuditActivityDeps } from '../activities/auditActivities';
import { createDisasterLogActivities } from '../activities/disasterLog';
import { createTradingActivities, type ActivityDeps } from '../activities/tradingActivities';
import { createProtectionActivities } from '../activities/broker/protectionActivities';
import { createEntryCheckActivities } from '../activities/entryCheckActivities';
import { createScreenerActivities } from '../activities/screening/screenerActivities';
import type { ScreeningDataProvider } from '../activities/screening/screeningDataProvider';
import { classifyActivityErrors } from '../activities/activityFailures';
import { projectPath } from '../activities/projectRoot';
import { createSearchAttributeActivities } from './searchAttributeActivities';
import { quietBundlerLogger } from './bundlerLogger';
import type { OutputMode } from '../domain/vocabulary';

/** The TypeScript sources, also from the compiled build: the bundler compiles workflow code itself (docs/temporal.md). */
export const WORKFLOWS_PATH = projectPath('workflows', 'index.ts');

/**
 * After SIGTERM/SIGINT, in-flight activities get this long to finish; then they are cancelled and the server
 * retries them on the next worker by their retry policies (docs/temporal.md, "Stopping a worker").
 */
export const SHUTDOWN_GRACE_TIME_MS = 30_000;
/** After this the worker stops waiting for activities that ignore cancellation; the systemd unit's TimeoutStopSec is longer. */
export const SHUTDOWN_FORCE_TIME_MS = 45_000;

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | null = null;

/** Bundles the workflow code once per process (webpack takes seconds; tests start many workers). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cachedBundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return cachedBundle;
}

export interface TradingWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly deps: ActivityDeps;
  /** Client the account activities use to send updates to the account workflow. */
  readonly client: Client;
  /** The mode this worker trades in: it owns the account workflow of that mode. */
  readonly mode: OutputMode;
  /** Account workflow id; default `tradebot-account-<mode>` (tests give each worker its own). */
  readonly accountWorkflowId?: string;
  /** Screening facts for live days (Finnhub); null: only replays can be screened on this worker. */
  readonly screeningProvider?: ScreeningDataProvider | null;
  /** Project folder that SYMBOL_LIST_PATH is relative to. */
  readonly projectDir?: string;
  /** Ledger, alerts and backups: the worker's configuration and where backups go. */
  readonly audit: Omit<AuditActivityDeps, 'outputDir'>;
  /** Extra activities (risk account client, ledger, notifications) merged with the trading ones. */
  readonly extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Workflow code other than this checkout's (another release's, for the deploy test); default: this one. */
  readonly workflowBundle?: WorkflowBundleWithSourceMap;
  /** The payload codec when TEMPORAL_PAYLOAD_KEY is set (workers/temporal/payloadCodec.ts); the client must share it. */
  readonly dataConverter?: DataConverter;
}

/** The worker: registers every workflow and the activities built from `deps`. */
export async function createTradingWorker(opts: TradingWorkerOptions): Promise<Worker> {
  const audit: AuditActivityDeps = { ...opts.audit, outputDir: opts.deps.outputDir };
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle ?? (await workflowBundle()),
    dataConverter: opts.dataConverter,
    activities: {
      // Broker and data failures reach Temporal classified (type = error class, code in details), so retry
      // policies match on the class and escalations log the code. Unknown errors stay retryable, as before.
      ...classifyActivityErrors(createTradingActivities(opts.deps), { unknownIsTransient: true }),
      ...classifyActivityErrors(createProtectionActivities(opts.deps), { unknownIsTransient: true }),
      ...classifyActivityErrors(createEntryCheckActivities(opts.deps), { unknownIsTransient: true }),
      ...createScreenerActivities({
        marketData: (folder) => opts.deps.marketData(folder),
        provider: opts.screeningProvider ?? null,
        baseDir: opts.projectDir,
      }),
      ...createAccountActivities(opts.client, { mode: opts.mode, taskQueue: opts.taskQueue, workflowId: opts.accountWorkflowId }),
      ...createDisasterLogActivities({ outputDir: opts.deps.outputDir, alert: accountEventAlert(audit, opts.mode) }),
      ...createAuditActivities(audit),
      ...createSearchAttributeActivities(opts.client, opts.namespace),
      ...(opts.extraActivities ?? {}),
    },
    // Two cores: a handful of concurrent activities is plenty and keeps bar fetches prompt.
    maxConcurrentActivityTaskExecutions: 20,
    shutdownGraceTime: SHUTDOWN_GRACE_TIME_MS,
    shutdownForceTime: SHUTDOWN_FORCE_TIME_MS,
  });
}
