-- Is a month's data settled? One row per month of route_outcomes_monthly, every
-- route together: a month is provisional while more than 5% of its non-withdrawn
-- requests are pending (the issue's rule for months; each mart row also carries its
-- own `provisional`). The report's default period is the latest complete month
-- that is not provisional (pipelines/report/periods.py); `relief stats` marks them.
with

by_month as (
    select
        month,
        sum(requests)::bigint as requests,
        sum(decided)::bigint as decided,
        sum(withdrawn)::bigint as withdrawn,
        sum(pending)::bigint as pending
    from route_outcomes_monthly
    group by month
),

final as (
    select
        month,
        requests,
        decided,
        withdrawn,
        pending,
        safe_ratio(decided::double, requests - withdrawn) as decided_share,
        is_provisional(pending, requests, withdrawn) as provisional
    from by_month
    order by month
)

select * from final
