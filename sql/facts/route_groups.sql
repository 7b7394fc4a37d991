-- materialized: table
-- Every outcome statistic (the outcome_summary macro) of each route over all its
-- cases, in each month of applied_on, and for each value of each segment: what the
-- three route_outcomes marts show, computed in one pass over case_facts. A group
-- with no case has no row here; the marts list it with zeros.
-- grouped_by says which grouping a row belongs to: 'route' (all the route's cases),
-- 'month', or a segment (the columns of route_outcomes_by_segment; unknown (null)
-- values -> 'unknown'). The segment list is contract.SEGMENTS (checked by a test).
-- A table, because the pass is the refresh's largest cost and three marts share it:
-- grouping sets over the raw columns (the labels, 'unknown' and text, are made on the
-- few grouped rows, not per case) cost less than one pass per mart
-- (docs/architecture.md, the SQL layers).
with

-- in each grouping set every column but route and one other is grouped away
-- (grouping() = 1); a null in the column kept is an unknown value
grouped_by_set as (
    select
        route,
        grouping(month_number, source, product, channel, overdue_bucket,
                 prior_overdues_bucket, documents_submitted, hardship_reason,
                 broke_prior_agreement, age_band, region) as grouping_id,
        case when grouping(month_number) = 0 then month_of_index(month_number) end as month,
        grouped_value(grouping(source), source) as source,
        grouped_value(grouping(product), product) as product,
        grouped_value(grouping(channel), channel) as channel,
        grouped_value(grouping(overdue_bucket), overdue_bucket) as overdue_bucket,
        grouped_value(grouping(prior_overdues_bucket), prior_overdues_bucket) as prior_overdues_bucket,
        grouped_value(grouping(documents_submitted), documents_submitted) as documents_submitted,
        grouped_value(grouping(hardship_reason), hardship_reason) as hardship_reason,
        grouped_value(grouping(broke_prior_agreement), broke_prior_agreement) as broke_prior_agreement,
        grouped_value(grouping(age_band), age_band) as age_band,
        grouped_value(grouping(region), region) as region,
        outcome_facts_summary(
            is_approved, is_partial, is_rejected, is_withdrawn, is_pending,
            plan_broken, plan_known, days_to_decision, waived, km_observation
        ) as stats
    from case_facts
    group by grouping sets (
        (route), (route, month_number),
        (route, source), (route, product), (route, channel), (route, overdue_bucket),
        (route, prior_overdues_bucket), (route, documents_submitted),
        (route, hardship_reason), (route, broke_prior_agreement), (route, age_band),
        (route, region)
    )
),

-- the route's own rows: every column but route grouped away (11 bits set)
by_route as (
    select route, 'route' as grouped_by, null::date as month, null::varchar as segment_value,
           stats
    from grouped_by_set
    where grouping_id = 2047
),

by_month as (
    select route, 'month' as grouped_by, month, null::varchar as segment_value, stats
    from grouped_by_set
    where month is not null
),

-- unpivot drops the null segment columns, leaving one row per segment group
by_segment as (
    select route, segment as grouped_by, null::date as month, segment_value, stats
    from (
        unpivot (select * exclude (grouping_id, month) from grouped_by_set)
        on source, product, channel, overdue_bucket, prior_overdues_bucket,
            documents_submitted, hardship_reason, broke_prior_agreement, age_band, region
        into name segment value segment_value
    )
),

final as (
    select route, grouped_by, month, segment_value, unnest(stats)
    from (
        select * from by_route
        union all
        select * from by_month
        union all
        select * from by_segment
    )
    order by grouped_by, month, segment_value, route
)

select * from final
