-- release.sql — make messages visible again at once (shutting down). Variables: queue, ids
-- (comma-separated msg_ids).   Row: how many were released.
select count(*) from pgmq.set_vt(:'queue', string_to_array(:'ids', ',')::bigint[], 0);
