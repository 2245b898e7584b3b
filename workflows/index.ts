// Every workflow the worker registers. Workflow code is bundled into Temporal's deterministic sandbox.
export { tradingDayWorkflow } from './tradingDay';
export { sessionWorkflow } from './session';
export { scheduledDayWorkflow } from './scheduledDay';
export { accountWorkflow } from './account';
