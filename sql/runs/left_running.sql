-- Runs still 'running' when a new run takes the writer lock: their process was killed.
with running as (
    select run_id
    from runs
    where status = 'running'
),

final as (
    select run_id
    from running
    order by run_id
)

select * from final
