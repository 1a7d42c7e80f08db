-- Dead letters: queue messages weft could not use (malformed, unknown workflow/task/step).
-- The message itself is also archived in its queue's a-table (pgmq.a_<queue>); nothing is dropped.
create table weft.dead_letters (
  dead_letter_id uuid primary key default weft.uuid_generate_v7(),
  queue_name text not null,
  msg_id bigint not null,
  message jsonb,
  reason text not null,
  sqlstate text,
  processor_id text,
  created_at timestamptz not null default now()
);
comment on table weft.dead_letters is 'Queue messages that could not be processed, with the reason; the message is archived in pgmq.a_<queue>.';
create index dead_letters_queue_idx on weft.dead_letters (queue_name, created_at);
