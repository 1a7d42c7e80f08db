-- weft._wake_window_ms() → integer
-- weft._wake(channel text, payload text) → boolean (whether a NOTIFY was sent)
--
-- Purpose : the throttled NOTIFY every engine wake-up goes through (weft_steps per namespace,
--           weft_orchestrator). Sends pg_notify(channel, payload) unless the same wake-up was
--           sent in the last weft._wake_window_ms() ms (20) or another transaction is sending
--           it right now (its row is locked: SKIP LOCKED, never wait). Listeners (worker SDK,
--           orchestrator) read again window + a margin after each wake-up they receive, so a
--           message whose own wake-up was suppressed is still read within about one window.
--           Worst case, a suppressed wake-up whose transaction commits long after the window
--           is found by the listeners' fallback poll (poll interval, default 1 s).
-- Callers : weft._enqueue_steps, weft._request_finalization, weft.release_step, timer-setting
--           functions (request_task with run_after, fail_step, retry_step).
-- Locks   : the weft.wakeups row, only when the window has passed (SKIP LOCKED); for the first
--           wake-up of a pair, a transaction-level advisory lock (try, never wait) on
--           (hashtext('weft._wake'), hashtext(channel || '/' || payload)).
-- Errors  : none (null channel or payload: nothing is sent).
create function weft._wake_window_ms() returns integer
language sql immutable parallel safe
set search_path = ''
as $$ select 20 $$;

create function weft._wake(channel text, payload text) returns boolean
language plpgsql volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_window interval := weft._wake_window_ms() * interval '1 millisecond';
  v_last timestamptz;
begin
  if channel is null or payload is null then
    return false;
  end if;
  -- Fast path, no lock: the committed row says a wake-up went out within the window.
  select w.notified_at into v_last from weft.wakeups w where w.channel = _wake.channel and w.payload = _wake.payload;
  if found and v_last > v_now - v_window then
    return false;
  end if;
  if not found then
    -- First wake-up of this pair. Another transaction inserting the same row right now would
    -- make ON CONFLICT wait for it: the advisory lock says it is there, and it will notify.
    if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('weft._wake'), pg_catalog.hashtext(channel || '/' || payload)) then
      return false;
    end if;
    insert into weft.wakeups (channel, payload, notified_at) values (channel, payload, v_now) on conflict do nothing;
    if found then
      perform pg_catalog.pg_notify(channel, payload);
      return true;
    end if;
  end if;
  -- The window has passed: take the row unless another transaction has it (it will notify).
  perform 1 from weft.wakeups w where w.channel = _wake.channel and w.payload = _wake.payload for no key update skip locked;
  if not found then
    return false;
  end if;
  update weft.wakeups w set notified_at = v_now
  where w.channel = _wake.channel and w.payload = _wake.payload and w.notified_at <= v_now - v_window;
  if found then
    perform pg_catalog.pg_notify(channel, payload);
    return true;
  end if;
  return false;
end
$$;
