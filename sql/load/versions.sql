-- A later batch carrying a case_id again is an update: its row (cases.sql) is the
-- current version, and the one it replaces moves from cases to case_versions
-- (case_history shows both). Reads temp table batch_meta; run after cases.sql in
-- the batch's one transaction.

insert into case_versions
with this_batch as (
    select case_id from cases where batch_id = (select batch_id from batch_meta)
),

final as (
    select * from cases
    where batch_id <> (select batch_id from batch_meta)
        and case_id in (select case_id from this_batch)
)

select * from final;

delete from cases
where batch_id <> (select batch_id from batch_meta)
    and case_id in (
        select case_id from cases where batch_id = (select batch_id from batch_meta)
    );
