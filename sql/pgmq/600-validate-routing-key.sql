-- pgmq.validate_routing_key(routing_key): true, or an error saying what is wrong with the key.
--
-- Purpose : a routing key is 1..255 characters of [A-Za-z0-9._-], dot-separated segments with no
--           empty segment (no leading/trailing dot, no `..`). Wildcards are not allowed in keys.
-- Callers : test_routing, send_topic, send_batch_topic; clients.
-- Checks  : in this order (the first failing one wins): NULL/empty, length, characters,
--           leading dot, trailing dot, consecutive dots.
-- Locks   : none. IMMUTABLE (a constant argument may be checked at plan time).
-- Errors  : P0001 `routing_key cannot be NULL or empty`;
--           `routing_key length cannot exceed 255 characters, got <n> characters`;
--           `routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and
--           underscores are allowed. Got: <key>`; `routing_key cannot start with a dot. Got: <key>`;
--           `routing_key cannot end with a dot. Got: <key>`;
--           `routing_key cannot contain consecutive dots. Got: <key>`.
create or replace function pgmq.validate_routing_key(routing_key text)
returns boolean
language plpgsql
immutable
as $$
begin
  if routing_key is null or routing_key = '' then
    raise exception 'routing_key cannot be NULL or empty';
  end if;

  if pg_catalog.length(routing_key) > 255 then
    raise exception 'routing_key length cannot exceed 255 characters, got % characters',
      pg_catalog.length(routing_key);
  end if;

  if routing_key !~ '^[a-zA-Z0-9._-]+$' then
    raise exception 'routing_key contains invalid characters. Only alphanumeric, dots, hyphens, and underscores are allowed. Got: %',
      routing_key;
  end if;

  if pg_catalog.left(routing_key, 1) = '.' then
    raise exception 'routing_key cannot start with a dot. Got: %', routing_key;
  end if;

  if pg_catalog.right(routing_key, 1) = '.' then
    raise exception 'routing_key cannot end with a dot. Got: %', routing_key;
  end if;

  if pg_catalog.strpos(routing_key, '..') > 0 then
    raise exception 'routing_key cannot contain consecutive dots. Got: %', routing_key;
  end if;

  return true;
end;
$$;
