-- The state and definitions the facts and marts were last built from.
with

final as (
    select last_batch_id, cases, case_versions, definitions_hash
    from mart_refreshes
    order by refreshed_at desc
    limit 1
)

select * from final
