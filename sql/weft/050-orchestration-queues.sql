-- The orchestration queues (created once, idempotently):
--   orchestration_task_requests  task requests sent as PGMQ messages (weft.intake_task_requests)
--   orchestration_step_results   step results sent as PGMQ messages (weft.intake_step_results)
select pgmq.create('orchestration_task_requests');
select pgmq.create('orchestration_step_results');
