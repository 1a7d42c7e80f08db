-- The orchestration queues (created once, idempotently):
--   orchestration_task_requests  task requests sent as PGMQ messages (weft.intake_task_requests)
--   orchestration_step_results   step results sent as PGMQ messages (weft.intake_step_results)
-- Both notify on insert (pgmq.enable_notify_insert; channel pgmq.q_<queue>.INSERT, at most one
-- notification per 100 ms), which wakes idle orchestrators: a service that only sends a PGMQ
-- message does not wait for the next poll.
select pgmq.create('orchestration_task_requests');
select pgmq.create('orchestration_step_results');
select pgmq.enable_notify_insert('orchestration_task_requests', 100);
select pgmq.enable_notify_insert('orchestration_step_results', 100);
