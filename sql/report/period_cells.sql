-- The counts behind every published count of a report: for each calendar month of
-- applied_on in [$start, $end), each dimension and each of its values.
-- dimension '*' (value '*') is every case of the month; 'route' is the route asked
-- for; the segments are the columns of route_outcomes_by_segment (unknown -> 'unknown');
-- 'granted_route' counts granted cases (approved or partial) by the route granted,
-- with their plan status. A quarter's counts are the sums of its months.
-- Classes: granted (approved + partial), rejected, withdrawn, pending; completed,
-- active, broken, status_unknown are plan statuses of granted cases.
with

period_cases as (
    select
        month_of(applied_on) as month,
        outcome,
        plan_status,
        route,
        case when is_granted(outcome) then coalesce(granted_route, 'unknown') end
            as granted_route,
        coalesce(documents_submitted, 'unknown') as documents_submitted,
        coalesce(broke_prior_agreement::varchar, 'unknown') as broke_prior_agreement,
        coalesce(overdue_bucket, 'unknown') as overdue_bucket,
        coalesce(prior_overdues_bucket, 'unknown') as prior_overdues_bucket,
        coalesce(channel, 'unknown') as channel,
        coalesce(product, 'unknown') as product,
        coalesce(region, 'unknown') as region,
        '*' as all_cases
    from cases
    where applied_on >= $start and applied_on < $end
),

-- one row per case and dimension (granted_route is null, hence absent, unless granted)
case_dimensions as (
    unpivot period_cases
    on all_cases, route, granted_route, documents_submitted, broke_prior_agreement,
        overdue_bucket, prior_overdues_bucket, channel, product, region
    into name dimension value value
),

counted as (
    select
        month,
        case when dimension = 'all_cases' then '*' else dimension end as dimension,
        value,
        count_if(is_granted(outcome))::bigint as granted,
        count_if(outcome = 'rejected')::bigint as rejected,
        count_if(outcome = 'withdrawn')::bigint as withdrawn,
        count_if(outcome = 'pending')::bigint as pending,
        count_if(is_granted(outcome) and plan_status = 'completed')::bigint as completed,
        count_if(is_granted(outcome) and plan_status = 'active')::bigint as active,
        count_if(is_granted(outcome) and plan_status = 'broken')::bigint as broken,
        count_if(is_granted(outcome) and plan_status is null)::bigint as status_unknown
    from case_dimensions
    group by all
),

final as (
    select * from counted
    order by month, dimension, value
)

select * from final
