-- Rates of the published counts: `published_counts` holds one row per period,
-- dimension and value with the counts of period_cells after small-cell suppression
-- (null = suppressed; the report's tables/*.csv show the same cells). Approval rate
-- (approved or partial among decided) with its 95% Wilson interval where both its
-- counts are published; broken share of plans with a known status where completed,
-- active and broken are all published. A rate is never computed from a hidden count.
with

rated as (
    select
        *,
        granted is not null and rejected is not null as approval_shown,
        completed is not null and active is not null and broken is not null as broken_shown
    from published_counts
),

final as (
    select
        * exclude (approval_shown, broken_shown),
        case when approval_shown then safe_ratio(granted, granted + rejected) end
            as approval_rate,
        case when approval_shown then wilson_low(granted, granted + rejected) end
            as approval_rate_low,
        case when approval_shown then wilson_high(granted, granted + rejected) end
            as approval_rate_high,
        case when broken_shown then safe_ratio(broken, completed + active + broken) end
            as broken_share,
        case when broken_shown then wilson_low(broken, completed + active + broken) end
            as broken_share_low,
        case when broken_shown then wilson_high(broken, completed + active + broken) end
            as broken_share_high
    from rated
    order by period, dimension, value
)

select * from final
