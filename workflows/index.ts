// Every workflow the worker registers. Workflow code is bundled into Temporal's deterministic sandbox.
import type { ACCOUNT_WORKFLOW_TYPE, AccountWorkflow } from './accountApi';

export { tradingDayWorkflow } from './tradingDay';
export { sessionWorkflow } from './session';
export { scheduledDayWorkflow } from './scheduledDay';
export { accountWorkflow } from './account';

// Clients start the account by name with the signature in accountApi.ts, not by importing it: a renamed
// export or a changed signature fails to compile here instead of at a client's start.
type Registers<T extends Record<typeof ACCOUNT_WORKFLOW_TYPE, AccountWorkflow>> = T;
type _RegisteredWorkflows = Registers<typeof import('./index')>;
