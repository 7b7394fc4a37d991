-- Content hashes of the files already loaded (a Dask worker skips those).
with loaded as (
    select content_hash
    from ingest_log
    where status = 'loaded'
),

final as (
    select content_hash
    from loaded
)

select * from final
