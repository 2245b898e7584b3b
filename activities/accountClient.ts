import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { accountConfigFrom } from '../domain/risk/accountState';
import { FAILURE_TYPE } from '../domain/errors/errorClasses';
import type { DefenseRules } from '../domain/risk/defenseMode';
import type { RiskConfig } from '../domain/risk/limits';
import {
  ACCOUNT_WORKFLOW_TYPE,
  accountStatusQuery,
  accountWorkflowId,
  brokerKillUpdate,
  configureSignal,
  importRiskHistoryUpdate,
  releaseCapacityUpdate,
  requestCapacityUpdate,
  setDefenseModeUpdate,
  type AccountStatus,
  type AccountWorkflow,
  type BrokerKillRequest,
  type BrokerKillResult,
  type CapacityDecision,
  type CapacityRequest,
  type ConfigureRequest,
  type ImportRiskHistoryRequest,
  type ImportRiskHistoryResult,
  type ReleaseRequest,
  type ReleaseResult,
  type SetDefenseModeRequest,
  type SetDefenseModeResult,
} from '../workflows/accountApi';
import type { OutputMode } from '../domain/vocabulary';

/**
 * Activities through which workflows talk to the account workflow (a workflow cannot send an update to
 * another workflow itself). Each update uses an update id derived from the request id, and the account
 * state caches decisions by request id, so a retried activity gets the first answer and never a second
 * grant, even across the account's continue-as-new.
 */

type WithOptionalAt<T extends { at: string }> = Omit<T, 'at'> & { readonly at?: string };

export type RequestCapacityInput = WithOptionalAt<CapacityRequest>;
export type ReleaseCapacityInput = WithOptionalAt<ReleaseRequest>;

export const capacityUpdateId = (requestId: string) => `capacity-${requestId}`;
export const releaseUpdateId = (requestId: string) => `release-${requestId}`;
export const importUpdateId = (importId: string) => `import-${importId}`;

export interface EnsureAccountOptions {
  readonly mode: OutputMode;
  readonly config: RiskConfig;
  readonly taskQueue: string;
  readonly defenseRules?: Partial<DefenseRules>;
  /** Defaults to the current time. */
  readonly at?: string;
  /** Override of the continue-as-new threshold (tests). */
  readonly continueAsNewAfterEvents?: number;
  /** Override of the workflow id (tests); defaults to `tradebot-account-<mode>`. */
  readonly workflowId?: string;
}

/**
 * Starts the account workflow if it is not running and (in either case) sends it the current config.
 * Signal-with-start uses the USE_EXISTING conflict policy: the running account keeps its state.
 */
export async function ensureAccountWorkflow(client: Client, options: EnsureAccountOptions): Promise<WorkflowHandle<AccountWorkflow>> {
  const at = options.at ?? new Date().toISOString();
  const config = accountConfigFrom(options.config, options.defenseRules);
  return client.workflow.signalWithStart<AccountWorkflow, [ConfigureRequest]>(ACCOUNT_WORKFLOW_TYPE, {
    workflowId: options.workflowId ?? accountWorkflowId(options.mode),
    taskQueue: options.taskQueue,
    args: [{ mode: options.mode, config, startedAt: at, continueAsNewAfterEvents: options.continueAsNewAfterEvents }],
    signal: configureSignal,
    signalArgs: [{ config, at }],
  });
}

/**
 * Seeds a running account's defense-mode evidence (see docs/risk.md, "Seeding the history"). Start the
 * account first (`ensureAccountWorkflow`, or after any day). The update id comes from importId, so a
 * retried call is applied once. A malformed import, or one while defense mode is on, is rejected
 * (WorkflowUpdateFailedError) and leaves no trace in the account's history.
 */
export async function importAccountRiskHistory(
  client: Client,
  options: { readonly mode: OutputMode; readonly workflowId?: string; readonly request: WithOptionalAt<ImportRiskHistoryRequest> },
): Promise<ImportRiskHistoryResult> {
  const req: ImportRiskHistoryRequest = { ...options.request, at: options.request.at ?? new Date().toISOString() };
  const handle = client.workflow.getHandle<AccountWorkflow>(options.workflowId ?? accountWorkflowId(options.mode));
  return handle.executeUpdate(importRiskHistoryUpdate, { args: [req], updateId: importUpdateId(req.importId) });
}

/** Malformed requests (rejected by the account's validators) must not be retried: they are logic errors. */
async function asActivityResult<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
      throw ApplicationFailure.nonRetryable(`account rejected the request: ${cause}`, FAILURE_TYPE.LogicError);
    }
    throw err;
  }
}

export interface AccountActivitiesOptions {
  readonly mode: OutputMode;
  readonly taskQueue: string;
  /** Defaults to `tradebot-account-<mode>`. */
  readonly workflowId?: string;
}

export function createAccountActivities(client: Client, options: AccountActivitiesOptions) {
  const workflowId = options.workflowId ?? accountWorkflowId(options.mode);
  const handle = () => client.workflow.getHandle<AccountWorkflow>(workflowId);
  const now = () => new Date().toISOString();
  return {
    async requestCapacity(input: RequestCapacityInput): Promise<CapacityDecision> {
      const req: CapacityRequest = { ...input, at: input.at ?? now() };
      return asActivityResult(() => handle().executeUpdate(requestCapacityUpdate, { args: [req], updateId: capacityUpdateId(req.requestId) }));
    },
    async releaseCapacity(input: ReleaseCapacityInput): Promise<ReleaseResult> {
      const rel: ReleaseRequest = { ...input, at: input.at ?? now() };
      return asActivityResult(() => handle().executeUpdate(releaseCapacityUpdate, { args: [rel], updateId: releaseUpdateId(rel.requestId) }));
    },
    async setAccountDefenseMode(input: WithOptionalAt<SetDefenseModeRequest>): Promise<SetDefenseModeResult> {
      const req: SetDefenseModeRequest = { ...input, at: input.at ?? now() };
      return asActivityResult(() => handle().executeUpdate(setDefenseModeUpdate, { args: [req] }));
    },
    async killAccountBroker(input: WithOptionalAt<BrokerKillRequest>): Promise<BrokerKillResult> {
      const req: BrokerKillRequest = { ...input, at: input.at ?? now() };
      return asActivityResult(() => handle().executeUpdate(brokerKillUpdate, { args: [req] }));
    },
    async accountStatus(): Promise<AccountStatus> {
      return handle().query(accountStatusQuery);
    },
    async ensureAccount(config: RiskConfig): Promise<{ readonly workflowId: string }> {
      const h = await ensureAccountWorkflow(client, { mode: options.mode, config, taskQueue: options.taskQueue, workflowId });
      return { workflowId: h.workflowId };
    },
  };
}

export type AccountActivities = ReturnType<typeof createAccountActivities>;
