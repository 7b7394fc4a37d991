-- One batch, loaded whole: run inside one transaction by pipelines/ingest.py.
-- Reads temp tables batch_meta (one row), batch_valid and batch_quarantine.

insert into ingest_log
select batch_id, file, content_hash, source, 'loaded', rows_read, rows_loaded,
       rows_quarantined, rows_skipped, false, message, ingested_at
from batch_meta;

-- A later batch carrying a case_id again is an update: it becomes the current
-- version, and the one it replaces moves to case_versions (case_history shows both).
insert into case_versions
select * from cases where case_id in (select case_id from batch_valid);

delete from cases where case_id in (select case_id from batch_valid);

insert into cases by name
select valid.*, m.batch_id
from with_derived_buckets('batch_valid') as valid cross join batch_meta m;

insert into quarantine
select m.batch_id, m.file, q.line, q.case_id, q.column_name, q.rule, q.reason, q.value,
       q.row_content
from batch_quarantine q cross join batch_meta m;
