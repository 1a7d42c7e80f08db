-- Wake-up throttle: when each NOTIFY channel/payload pair was last sent (weft._wake).
--
-- Why: PostgreSQL serializes the commits of every transaction that sent a NOTIFY (the notify
-- queue's lock is held through the commit's WAL flush), so a NOTIFY in every step report caps
-- the whole engine at one commit per fsync. weft sends a wake-up only when the same one was not
-- sent in the last weft._wake_window_ms() ms; listeners poll once more that long after a
-- wake-up, so nothing waits for the fallback poll. One small row per (channel, payload), updated
-- at most once per window: HOT updates in place (fillfactor 50).
create table weft.wakeups (
  channel text not null,
  payload text not null,
  notified_at timestamptz not null,
  primary key (channel, payload)
) with (fillfactor = 50);
comment on table weft.wakeups is 'When each NOTIFY wake-up (channel, payload) was last sent; weft._wake sends one per window at most.';
