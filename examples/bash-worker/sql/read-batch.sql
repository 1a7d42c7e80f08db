-- read-batch.sql — claim up to :qty step messages of queue :queue for :vt seconds (the lease)
-- and decode them, in one statement.
-- Variables: queue, vt, qty.   Rows: msg_id US key US value, one per field of each message
--   (read_ct; problem when it is not a step message; task_id, step_id, attempt, max_attempts,
--   handler, step, namespace, workflow, checkpoint, kind, compensates.*, deadline_ms_left;
--   args.<key>, context.<key>, parents.<step>).
-- It holds no cast a bad message could make fail: a failing read would leave the messages
-- unclaimed and block the queue. So the time left before the deadline is computed from the
-- message's enqueued_at + timeout_ms (database clock), not by casting the deadline text.
with batch as (
  select r.msg_id, r.read_ct, r.enqueued_at, r.message as m
  from pgmq.read(queue_name => :'queue', vt => :'vt'::integer, qty => :'qty'::integer) r
), checked as (
  -- What makes a message unusable (schemas/step-message.schema.json, the fields a worker needs).
  select b.*,
    case
      when b.m is null or jsonb_typeof(b.m) <> 'object' then 'the body is ' || coalesce('a JSON ' || jsonb_typeof(b.m), 'null') || ', not an object'
      when coalesce(b.m ->> 'step_id', '') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        then 'step_id is missing or not a UUID'
      when coalesce(b.m ->> 'task_id', '') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        then 'task_id is missing or not a UUID'
      when jsonb_typeof(b.m -> 'attempt') is distinct from 'number' or b.m ->> 'attempt' !~ '^[1-9][0-9]{0,8}$'
        then 'attempt is missing or not a positive integer'
      when jsonb_typeof(b.m -> 'max_attempts') is distinct from 'number' or b.m ->> 'max_attempts' !~ '^[1-9][0-9]{0,8}$'
        then 'max_attempts is missing or not a positive integer'
      when jsonb_typeof(b.m -> 'handler') is distinct from 'string' then 'handler is missing or not a string'
      when jsonb_typeof(b.m -> 'step') is distinct from 'string' then 'step is missing or not a string'
      when jsonb_typeof(b.m -> 'namespace') is distinct from 'string' then 'namespace is missing or not a string'
      when jsonb_typeof(b.m -> 'workflow' -> 'name') is distinct from 'string'
        or jsonb_typeof(b.m -> 'workflow' -> 'version') is distinct from 'string'
        then 'workflow must be an object with a name and a version'
      when coalesce(jsonb_typeof(b.m -> 'args'), 'object') <> 'object' then 'args must be an object'
      when coalesce(jsonb_typeof(b.m -> 'context'), 'object') <> 'object' then 'context must be an object'
      when coalesce(jsonb_typeof(b.m -> 'parents'), 'object') <> 'object' then 'parents must be an object'
      when coalesce(b.m ->> 'timeout_ms', '0') !~ '^[0-9]{1,9}$' then 'timeout_ms must be a whole number or null'
      when coalesce(jsonb_typeof(b.m -> 'deadline'), 'null') not in ('null', 'string') then 'deadline must be a string or null'
    end as problem
  from batch b
), fields (msg_id, ord, key, value) as (
  select c.msg_id, 0, 'read_ct', c.read_ct::text from checked c
  union all
  select c.msg_id, 0, 'problem', c.problem from checked c where c.problem is not null
  union all
  select c.msg_id, 1, f.key, f.value
  from checked c cross join lateral (values
    ('task_id', c.m ->> 'task_id'), ('step_id', c.m ->> 'step_id'), ('attempt', c.m ->> 'attempt'),
    ('max_attempts', c.m ->> 'max_attempts'), ('handler', c.m ->> 'handler'), ('step', c.m ->> 'step'),
    ('namespace', c.m ->> 'namespace'),
    ('workflow', (c.m -> 'workflow' ->> 'name') || '@' || (c.m -> 'workflow' ->> 'version')),
    ('checkpoint', nullif((c.m -> 'checkpoint')::text, 'null')),
    -- A saga's compensation step: kind 'compensation' and the step it undoes.
    ('kind', coalesce(c.m ->> 'kind', 'step')),
    ('compensates.step', c.m -> 'compensates' ->> 'step'),
    ('compensates.step_id', c.m -> 'compensates' ->> 'step_id'),
    ('compensates.result', (c.m -> 'compensates' -> 'result')::text),
    -- The deadline is enqueue time + timeout_ms; counted here from the message's enqueued_at,
    -- so no timestamp text is cast and worker clock skew does not matter.
    ('deadline_ms_left', case when c.problem is null and c.m ->> 'timeout_ms' is not null then
       ceil(extract(epoch from (c.enqueued_at - clock_timestamp())) * 1000 + (c.m ->> 'timeout_ms')::bigint)::bigint::text end)
  ) f (key, value)
  where c.problem is null
  union all
  select c.msg_id, 2, s.section || '.' || e.key, e.value
  from checked c
  cross join (values ('args'), ('context'), ('parents')) s (section)
  cross join lateral jsonb_each_text(
    case when c.problem is null and jsonb_typeof(c.m -> s.section) = 'object' then c.m -> s.section else '{}' end) e
)
-- One "msg_id US key US value" line per field; control characters in values become spaces.
select msg_id, key, translate(coalesce(value, ''), E'\n\r\t\x1f', '    ')
from fields order by msg_id, ord, key;
