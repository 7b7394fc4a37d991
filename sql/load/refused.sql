-- A refused file: its ingest_log row, and nothing else of it is stored.
-- Parameters: batch_id, file (masked), content_hash (NULL when the file could not be
-- read), source (NULL for auto), message (masked), ingested_at.

insert into ingest_log
select ?::bigint as batch_id, ?::varchar as file, ?::varchar as content_hash,
       ?::varchar as source, 'refused' as status, 0 as rows_read, 0 as rows_loaded,
       0 as rows_quarantined, 0 as rows_skipped, true as refused, ?::varchar as message,
       ?::timestamp as ingested_at;
