-- The case_ids a batch holds more than once (temp table batch_typed, the one pass's
-- output): every record with such an id is quarantined, none is loaded.
create temp table batch_duplicate_ids as

with counted as (
    select case_id
    from batch_typed
    where case_id is not null and not skipped
    group by case_id
    having count(*) > 1
),

final as (
    select case_id from counted
)

select * from final
