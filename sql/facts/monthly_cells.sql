-- materialized: table
-- The counts behind every published count of a report, for every calendar month of
-- applied_on: for each month, each dimension and each of its values.
-- dimension '*' (value '*') is every case of the month; 'route' is the route asked
-- for; the segments are columns of route_outcomes_by_segment (unknown -> 'unknown');
-- 'granted_route' counts granted cases (approved or partial) by the route granted,
-- with their plan status. A quarter's counts are the sums of its months.
-- Classes: granted (approved + partial), rejected, withdrawn, pending; completed,
-- active, broken, status_unknown are plan statuses of granted cases.
-- A table (the report, period_change and period_provisional read a few hundred rows
-- instead of every case). Speed: one pass with grouping sets over the raw columns;
-- the labels ('unknown', text) are made on the grouped rows, not per case (about four
-- times cheaper, benchmarks/stats.py).
with

-- in each grouping set every dimension column but one is grouped away (grouping() = 1);
-- a null in the column kept is an unknown value. The label of the grouping set of
-- all cases is '*' (every dimension grouped away: 9 bits set).
grouped as (
    select
        month_of_index(month_number) as month,
        case when grouping(route, granted_route, documents_submitted, broke_prior_agreement,
                           overdue_bucket, prior_overdues_bucket, channel, product, region)
                  = 511 then '*' end as all_cases,
        case when grouping(route) = 0 then route::varchar end as route,
        -- granted cases only: the set groups by is_granted too (the group of cases not
        -- granted is dropped below)
        case when grouping(granted_route) = 0 and is_granted
             then coalesce(granted_route::varchar, 'unknown') end as granted_route,
        grouped_value(grouping(documents_submitted), documents_submitted) as documents_submitted,
        grouped_value(grouping(broke_prior_agreement), broke_prior_agreement) as broke_prior_agreement,
        grouped_value(grouping(overdue_bucket), overdue_bucket) as overdue_bucket,
        grouped_value(grouping(prior_overdues_bucket), prior_overdues_bucket) as prior_overdues_bucket,
        grouped_value(grouping(channel), channel) as channel,
        grouped_value(grouping(product), product) as product,
        grouped_value(grouping(region), region) as region,
        count_if(is_granted)::bigint as granted,
        count_if(is_rejected)::bigint as rejected,
        count_if(is_withdrawn)::bigint as withdrawn,
        count_if(is_pending)::bigint as pending,
        count_if(is_granted and plan_status = 'completed')::bigint as completed,
        count_if(is_granted and plan_status = 'active')::bigint as active,
        count_if(is_granted and plan_status = 'broken')::bigint as broken,
        count_if(is_granted and plan_status is null)::bigint as status_unknown
    from case_facts
    group by grouping sets (
        (month_number), (month_number, route), (month_number, is_granted, granted_route),
        (month_number, documents_submitted), (month_number, broke_prior_agreement),
        (month_number, overdue_bucket), (month_number, prior_overdues_bucket),
        (month_number, channel), (month_number, product), (month_number, region)
    )
),

-- one row per month, dimension and value (unpivot drops the null columns: the
-- dimensions grouped away, and the granted_route group of cases not granted)
unpivoted as (
    unpivot grouped
    on all_cases, route, granted_route, documents_submitted, broke_prior_agreement,
        overdue_bucket, prior_overdues_bucket, channel, product, region
    into name dimension value value
),

final as (
    select
        month,
        case when dimension = 'all_cases' then '*' else dimension end as dimension,
        value,
        granted, rejected, withdrawn, pending, completed, active, broken, status_unknown
    from unpivoted
    order by month, dimension, value
)

select * from final
