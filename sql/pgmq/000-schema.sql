-- Schema pgmq (weft's PGMQ-compatible schema, used where the pgmq extension is not available).
create schema if not exists pgmq;
