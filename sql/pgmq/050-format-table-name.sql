-- pgmq.format_table_name(queue_name text, prefix text) returns text
--
-- Purpose : the table name of a queue: lower(prefix || '_' || queue_name), e.g. ('MyQ', 'q')
--           gives 'q_myq'. Rejects names containing $, ;, -- or a single quote before any table
--           is touched. Callers quote the result with %I.
-- Callers : every function that touches a queue table (create*, drop_queue, send*, read*, pop,
--           delete, archive, set_vt, metrics, purge_queue, ...); pgflow.
-- Locks   : none.
-- Errors  : P0001 'queue name contains invalid characters: $, ;, --, or \''
--           (the message ends with a backslash and a quote).
-- Note    : E'' strings so that the texts do not depend on standard_conforming_strings.
create or replace function pgmq.format_table_name(queue_name text, prefix text)
returns text
language plpgsql
as $$
begin
  if queue_name ~ E'\\$|;|--|''' then
    raise exception E'queue name contains invalid characters: $, ;, --, or \\''';
  end if;
  return pg_catalog.lower(prefix || '_' || queue_name);
end;
$$;
