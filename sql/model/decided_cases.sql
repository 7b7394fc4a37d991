-- How many decided cases the analysts' copy holds: what the retraining rule compares
-- with the count the newest model version was trained on (registry.retrain_due).
with decided as (
    select count(*) as decided_cases
    from cases
    where is_decided(outcome)
),

final as (
    select decided_cases
    from decided
)

select * from final
