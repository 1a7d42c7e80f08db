-- Views for operators (schema weft). Read-only; granted to the monitor role.

-- Each step of each workflow with its topological level: level 0 has no parents; steps of one
-- level can run in parallel.
create view weft.workflow_step_levels as
with recursive lv as (
  select ws.workflow_id, ws.name, 0 as level
  from weft.workflow_steps ws
  where not exists (select 1 from weft.workflow_edges e where e.workflow_id = ws.workflow_id and e.child = ws.name)
  union all
  select e.workflow_id, e.child, lv.level + 1
  from lv join weft.workflow_edges e on e.workflow_id = lv.workflow_id and e.parent = lv.name
)
select w.namespace, w.name as workflow_name, w.version, lv.workflow_id, lv.name as step_name, max(lv.level) as level
from lv join weft.workflows w on w.workflow_id = lv.workflow_id
group by w.namespace, w.name, w.version, lv.workflow_id, lv.name;
comment on view weft.workflow_step_levels is 'Topological level of every workflow step (0 = no parents).';

-- Tasks not yet terminal, with progress.
create view weft.active_tasks as
select t.task_id, t.namespace, w.name as workflow_name, w.version as workflow_version, t.state,
       weft.priority_name(t.priority) as priority, t.steps_total, t.steps_total - t.steps_remaining as steps_done,
       case when t.steps_total = 0 then 0 else round(100.0 * (t.steps_total - t.steps_remaining) / t.steps_total, 1) end as percent,
       t.idempotency_key, t.run_after, t.created_at, t.started_at, t.finalize_requested_at,
       now() - t.created_at as age
from weft.tasks t join weft.workflows w on w.workflow_id = t.workflow_id
where t.state in ('pending', 'running', 'finalizing', 'compensating');
comment on view weft.active_tasks is 'Tasks not yet terminal, with progress.';

-- Counts of tasks by namespace, workflow and state.
create view weft.task_stats as
select t.namespace, w.name as workflow_name, t.state, count(*) as tasks,
       min(t.created_at) as oldest_created_at, max(t.finished_at) as last_finished_at
from weft.tasks t join weft.workflows w on w.workflow_id = t.workflow_id
group by t.namespace, w.name, t.state;
comment on view weft.task_stats is 'Task counts per namespace, workflow and state.';

-- Finalization claims with their holder and whether they are still live.
create view weft.claims as
select c.task_id, c.processor_id, c.claimed_at, c.expires_at, c.expires_at > weft.now() as live,
       greatest(extract(epoch from c.expires_at - weft.now()), 0) as seconds_left, c.takeovers, t.state as task_state
from weft.finalization_claims c join weft.tasks t on t.task_id = c.task_id;
comment on view weft.claims is 'Finalization claims: holder, expiry, live or expired.';

-- Everything the timer sweep (weft.fire_timers) will fire, and when.
create view weft.pending_timers as
select 'delayed_start'::text as kind, t.task_id, null::uuid as step_id, null::text as step_name, t.run_after as due_at
from weft.tasks t where t.state = 'pending' and t.run_after is not null
union all
select 'retry_backoff', s.task_id, s.step_id, s.name, s.ready_at from weft.steps s where s.state = 'waiting_retry'
union all
select 'attempt_deadline', s.task_id, s.step_id, s.name, s.deadline_at from weft.steps s where s.state = 'enqueued' and s.deadline_at is not null;
comment on view weft.pending_timers is 'Durable timers: delayed starts, retry backoffs and attempt deadlines, with their due time.';

-- Queue depth per namespace (an autoscaler such as KEDA can run:
--   select queue_visible_length from weft.queue_depths where namespace = 'fulfillment').
create view weft.queue_depths as
select n.name as namespace, n.queue_name, m.queue_length, m.queue_visible_length, m.oldest_msg_age_sec, m.newest_msg_age_sec,
       m.total_messages
from weft.namespaces n cross join lateral pgmq.metrics(n.queue_name) m;
comment on view weft.queue_depths is 'Depth and oldest message age of each namespace queue (for dashboards and autoscalers).';

-- Steps that failed for good, with every failed attempt's error (from transitions).
create view weft.failed_steps as
select s.task_id, s.step_id, s.name as step_name, t.namespace, w.name as workflow_name, s.attempt, s.max_attempts, s.error,
       (select jsonb_agg(jsonb_build_object('attempt', tr.attempt, 'at', tr.created_at, 'reason', tr.reason,
                                            'error', tr.details -> 'error') order by tr.transition_id)
        from weft.transitions tr where tr.step_id = s.step_id and tr.to_state in ('waiting_retry', 'error')) as error_history,
       s.finished_at
from weft.steps s join weft.tasks t on t.task_id = s.task_id join weft.workflows w on w.workflow_id = t.workflow_id
where s.state = 'error';
comment on view weft.failed_steps is 'Steps in error (retries exhausted or permanent failure) with their full error history.';
