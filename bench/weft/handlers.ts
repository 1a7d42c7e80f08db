/**
 * The benchmark's step handlers for weft (`weft worker --handlers bench/weft/handlers.ts`):
 * no work beyond the scenario arithmetic. Each returns `{ v, s, e }` (value, handler start and
 * end) and reads its parents' `v`, so the stored results prove that results passed
 * parent → child and carry the timings.
 */
import type { StepContext, StepHandler } from '../../src/worker/handler.js';
import { computeValue, nowMs, type HandlerName, type StepResult } from '../shapes.js';

function handler(name: HandlerName): StepHandler<StepResult> {
  return (ctx: StepContext) => {
    const s = nowMs();
    const parentValues = Object.values(ctx.parents).map((r) => {
      const v = (r as { v?: unknown } | null)?.v;
      if (typeof v !== 'number') throw new Error(`step ${ctx.step}: a parent result has no numeric v`);
      return v;
    });
    const v = computeValue(name, Number(ctx.context.n), parentValues);
    return { v, s, e: nowMs() };
  };
}

export const handlers: Record<HandlerName, StepHandler<StepResult>> = {
  increment: handler('increment'),
  double: handler('double'),
  square: handler('square'),
  sum_parents: handler('sum_parents'),
};
