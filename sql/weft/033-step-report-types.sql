-- Row types returned to workers by the report functions.
--
-- weft.step_report: what became of a complete_step / fail_step call.
--   outcome   applied    the report was applied
--             duplicate  the same attempt had already completed (a redelivered message ran twice)
--             rejected   stale attempt, or the step/task has moved on: recorded in
--                        weft.rejected_results, not applied (a WARNING with SQLSTATE WF007 says so)
--   reason    why it was rejected or what it caused (e.g. retry_scheduled, step_failed)
create type weft.step_report as (
  outcome text,
  reason text,
  step_id uuid,
  step_state weft.step_state,
  attempt integer,
  task_id uuid,
  task_state weft.task_state
);

-- weft._fence_result: the verdict of weft._fence_step plus what the caller needs next.
create type weft._fence_result as (
  verdict text,
  reason text,
  task_id uuid,
  namespace text,
  workflow_id uuid,
  task_state weft.task_state,
  step_name text,
  step_state weft.step_state,
  current_attempt integer,
  max_attempts integer,
  retry jsonb,
  msg_id bigint
);
