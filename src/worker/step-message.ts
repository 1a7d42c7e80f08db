/**
 * The step message (schemas/step-message.schema.json) and its parser. A message that does
 * not parse is dead-lettered by the worker, never dropped.
 */
import { z } from 'zod';

export const stepMessageSchema = z.object({
  task_id: z.string().uuid(),
  step_id: z.string().uuid(),
  namespace: z.string(),
  workflow: z.object({ name: z.string(), version: z.string() }),
  step: z.string(),
  handler: z.string(),
  args: z.record(z.string(), z.unknown()).default({}),
  attempt: z.number().int().min(1),
  max_attempts: z.number().int().min(1),
  priority: z.enum(['critical', 'high', 'normal', 'low', 'background']).default('normal'),
  context: z.record(z.string(), z.unknown()).default({}),
  parents: z.record(z.string(), z.unknown()).default({}),
  /** 'compensation' for a saga's undo step. */
  kind: z.enum(['step', 'compensation']).default('step'),
  /** For a compensation step: the step it undoes, with that step's result and args. */
  compensates: z
    .object({ step: z.string(), step_id: z.string(), result: z.unknown(), args: z.record(z.string(), z.unknown()).nullable().optional() })
    .nullable()
    .optional(),
  checkpoint: z.unknown().optional(),
  timeout_ms: z.number().int().nullable().optional(),
  /** The step's own heartbeat period (its lease is three of them); null: the worker's default. */
  heartbeat_ms: z.number().int().positive().nullable().optional(),
  deadline: z.string().nullable().optional(),
});

export type StepMessage = z.infer<typeof stepMessageSchema>;

/** Parses a queue message body; returns an error sentence instead of throwing. */
export function parseStepMessage(body: unknown): { ok: true; message: StepMessage } | { ok: false; error: string } {
  const parsed = stepMessageSchema.safeParse(body);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `not a weft step message: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` };
}
