-- Whether the batch being loaded (temp table batch_meta) holds a case_id twice: the
-- one rule a record cannot break alone. Checked after cases.sql when the batch was
-- loaded by one scan (pipelines/ingest.py); a validated batch has its duplicates
-- quarantined already.

with this_batch as (
    select case_id from cases where batch_id = (select batch_id from batch_meta)
),

final as (
    select count(*) > count(distinct case_id) as has_duplicates from this_batch
)

select * from final;
