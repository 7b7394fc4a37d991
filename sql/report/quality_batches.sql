-- Every batch in the database, without its file name (a name can carry anything):
-- when, from which source, status, rows read, loaded, quarantined and skipped.
with

final as (
    select
        batch_id,
        strftime(ingested_at, '%Y-%m-%d') as ingested_on,
        coalesce(source, 'unknown') as source,
        status,
        rows_read,
        rows_loaded,
        rows_quarantined,
        rows_skipped
    from ingest_log
    order by batch_id
)

select * from final
