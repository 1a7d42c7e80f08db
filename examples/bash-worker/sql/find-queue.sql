-- find-queue.sql — the PGMQ queue of namespace :ns. Row: its name (none: no such namespace).
select queue_name from weft.namespaces where name = :'ns';
