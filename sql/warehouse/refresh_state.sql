-- What the built layers (sql/facts, sql/marts) show is fixed by these and by their
-- definitions: the newest batch in cases and the row counts of cases and
-- case_versions (every load adds a batch or moves versions).
with

final as (
    select
        (select max(batch_id) from cases) as last_batch_id,
        (select count(*) from cases) as cases,
        (select count(*) from case_versions) as case_versions
)

select * from final
