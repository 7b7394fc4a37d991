-- The batch's row of ingest_log, from temp table batch_meta (one row, its counts
-- final). Run in the batch's one transaction.

insert into ingest_log
select batch_id, file, content_hash, source, 'loaded', rows_read, rows_loaded,
       rows_quarantined, rows_skipped, false, message, ingested_at
from batch_meta;
