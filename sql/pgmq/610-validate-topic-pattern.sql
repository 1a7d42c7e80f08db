-- pgmq.validate_topic_pattern(pattern): true, or an error saying what is wrong with the pattern.
--
-- Purpose : a binding pattern is a routing key that may also use the wildcards `*` (exactly one
--           segment) and `#` (zero or more characters across segments); wildcards may not be
--           doubled or adjacent (`**`, `##`, `*#`, `#*`).
-- Callers : bind_topic; clients.
-- Checks  : in this order (the first failing one wins): NULL/empty, length, characters,
--           leading dot, trailing dot, `..`, `**`, `##`, `*#` or `#*`.
-- Locks   : none. IMMUTABLE (a constant argument may be checked at plan time).
-- Errors  : P0001 `pattern cannot be NULL or empty`;
--           `pattern length cannot exceed 255 characters, got <n> characters`;
--           `pattern contains invalid characters. Only alphanumeric, dots, hyphens, underscores,
--           *, and # are allowed. Got: <p>`; `pattern cannot start with a dot. Got: <p>`;
--           `pattern cannot end with a dot. Got: <p>`; `pattern cannot contain consecutive dots.
--           Got: <p>`; `pattern cannot contain consecutive stars (**). Use # for multi-segment
--           matching. Got: <p>`; `pattern cannot contain consecutive hashes (##). A single #
--           already matches zero or more segments. Got: <p>`; `pattern cannot contain adjacent
--           wildcards (*# or #*). Separate wildcards with dots. Got: <p>`.
create or replace function pgmq.validate_topic_pattern(pattern text)
returns boolean
language plpgsql
immutable
as $$
begin
  if pattern is null or pattern = '' then
    raise exception 'pattern cannot be NULL or empty';
  end if;

  if pg_catalog.length(pattern) > 255 then
    raise exception 'pattern length cannot exceed 255 characters, got % characters',
      pg_catalog.length(pattern);
  end if;

  if pattern !~ '^[a-zA-Z0-9._*#-]+$' then
    raise exception 'pattern contains invalid characters. Only alphanumeric, dots, hyphens, underscores, *, and # are allowed. Got: %',
      pattern;
  end if;

  if pg_catalog.left(pattern, 1) = '.' then
    raise exception 'pattern cannot start with a dot. Got: %', pattern;
  end if;

  if pg_catalog.right(pattern, 1) = '.' then
    raise exception 'pattern cannot end with a dot. Got: %', pattern;
  end if;

  if pg_catalog.strpos(pattern, '..') > 0 then
    raise exception 'pattern cannot contain consecutive dots. Got: %', pattern;
  end if;

  if pg_catalog.strpos(pattern, '**') > 0 then
    raise exception 'pattern cannot contain consecutive stars (**). Use # for multi-segment matching. Got: %',
      pattern;
  end if;

  if pg_catalog.strpos(pattern, '##') > 0 then
    raise exception 'pattern cannot contain consecutive hashes (##). A single # already matches zero or more segments. Got: %',
      pattern;
  end if;

  if pg_catalog.strpos(pattern, '*#') > 0 or pg_catalog.strpos(pattern, '#*') > 0 then
    raise exception 'pattern cannot contain adjacent wildcards (*# or #*). Separate wildcards with dots. Got: %',
      pattern;
  end if;

  return true;
end;
$$;
