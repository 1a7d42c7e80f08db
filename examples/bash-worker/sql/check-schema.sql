-- check-schema.sql — is schema weft installed? Row: t or f.
select to_regclass('weft.namespaces') is not null;
