/**
 * The handlers the acceptance scenarios use (../shared/scenarios/README.md). `x` is the single
 * parent's result, or context.n when the step has no parents. Used by the tests, the
 * benchmark, `weft worker --builtin scenarios` and as a worked example of writing handlers.
 */
import { PermanentError, StepError, type StepContext, type StepHandler } from '../worker/handler.js';

/** The input value of a step: its only parent's result, or context.n. */
export function inputOf(ctx: StepContext): number {
  const values = Object.values(ctx.parents);
  if (values.length === 0) return Number(ctx.context.n);
  if (values.length === 1) return Number(values[0]);
  throw new PermanentError(`step ${ctx.step} has ${values.length} parents; its handler takes one input`, { code: 'bad_input' });
}

/** Compensations recorded by `undo`, in order, per task (in-process observers may read it). */
export const compensationLog: { taskId: string; step: string }[] = [];

export const scenarioHandlers: Record<string, StepHandler> = {
  square: (ctx) => inputOf(ctx) ** 2,
  increment: (ctx) => inputOf(ctx) + 1,
  double: (ctx) => inputOf(ctx) * 2,
  sum_parents: (ctx) => Object.values(ctx.parents).reduce<number>((a, v) => a + Number(v), 0),
  multiply_parents: (ctx) => Object.values(ctx.parents).reduce<number>((a, v) => a * Number(v), 1),
  fail_then_succeed: (ctx) => {
    const failures = Number(ctx.args.failures ?? 0);
    if (ctx.attempt <= failures) throw new StepError(`planned failure ${ctx.attempt} of ${failures}`, { code: 'planned_failure' });
    return inputOf(ctx);
  },
  fail_permanently: (ctx) => {
    throw new PermanentError(`permanent failure: ${String(ctx.args.reason ?? 'unspecified')}`, { code: String(ctx.args.reason ?? 'permanent') });
  },
  sleep: async (ctx) => {
    const ms = Number(ctx.args.ms ?? 0);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
    return inputOf(ctx);
  },
  undo: (ctx) => {
    compensationLog.push({ taskId: ctx.taskId, step: ctx.compensates?.step ?? ctx.step });
    return null;
  },
};
