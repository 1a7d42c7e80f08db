/**
 * weft — the public TypeScript API.
 */
export { Weft } from './client/client.js';
export type { TaskView, StepView, TaskSummary, TaskListFilter } from './client/tasks.js';
export { Worker, type WorkerOptions } from './worker/worker.js';
export { PermanentError, StepError, type StepContext, type StepHandler } from './worker/handler.js';
export { Orchestrator, type OrchestratorOptions } from './orchestrator/orchestrator.js';
export { defineWorkflow, loadWorkflowFiles, parseWorkflowText, type WorkflowDefinition, type StepDefinition, type RetryPolicy } from './workflows/definition.js';
export { connect } from './db/connection.js';
export { migrateDatabase } from './db/migrate.js';
export { WeftError, WeftSqlError, WeftSqlState } from './db/errors.js';
export type { TaskState, StepState, PriorityName, StepReport } from './db/weft-api.js';
