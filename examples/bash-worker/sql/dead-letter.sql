-- dead-letter.sql — archive a message weft cannot use (pgmq.a_<queue>) and record why
-- (weft.dead_letters). Variables: queue, msg_id, reason, worker.   Row: true, or false when the
-- message was no longer in the queue.
select weft.dead_letter_message(queue_name => :'queue', msg_id => :'msg_id'::bigint, reason => :'reason',
                                processor_id => :'worker');
