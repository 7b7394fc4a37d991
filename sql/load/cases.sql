-- A batch's cases: every row of batch_valid, with its derived buckets and batch id.
-- Reads temp relations batch_meta (one row) and batch_valid: the validated rows
-- (pipelines/validate.py `validate`), or the file itself when it is clean
-- (`clean_view`: then this statement is the one scan that reads, types, checks and
-- stores it). Run inside the batch's one transaction by pipelines/ingest.py.

insert into cases by name
select valid.*, m.batch_id
from with_derived_buckets('batch_valid') as valid cross join batch_meta m;
