-- heartbeat.sql — extend the current attempt's lease by :vt seconds and store its progress
-- (when :percent is not empty). Variables: step_id, attempt, vt, percent, note.
-- Row: carry_on (t/f) US reason — carry_on = f: stop the handler, report nothing.
select h.carry_on, h.reason
from weft.heartbeat_step(step_id => :'step_id'::uuid, attempt => :'attempt'::integer, extend_seconds => :'vt'::integer,
                         progress => case when :'percent' <> '' then
                                       jsonb_build_object('percent', nullif(:'percent', '')::numeric, 'message', nullif(:'note', '')) end) h;
