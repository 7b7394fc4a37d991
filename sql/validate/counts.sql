-- A validated batch's counts: records read, skipped (not relief requests, a source
-- such as CFPB), not loaded, and quarantine rows.
with final as (
    select
        count(*) as records,
        count(*) filter (where skipped) as skipped,
        (select count(*) from batch_bad_rows) as bad,
        (select count(*) from batch_quarantine) as quarantined
    from batch_typed
)

select * from final
