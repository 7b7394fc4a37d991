-- What the freshness rules compare outputs against: the cases held, the last batch of
-- any kind (loaded, unchanged, refused) and the last batch that loaded rows.
with loads as (
    select
        epoch(max(ingested_at)) as last_change_epoch,
        epoch(max(ingested_at) filter (status = 'loaded')) as last_load_epoch
    from ingest_log
),

final as (
    select
        (select count(*) from cases) as cases,
        last_change_epoch,
        last_load_epoch
    from loads
)

select * from final
