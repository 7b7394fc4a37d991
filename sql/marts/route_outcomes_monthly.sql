-- route_outcomes per calendar month of applied_on: one row per route and month,
-- for every route and every month from the first to the last month with cases
-- (months or routes without cases appear with zero counts and null rates).
-- Speed (benchmarks/stats.py): one pass over case_facts (per-case flags computed once);
-- the route x month grid is built from the grouped result, and its empty cells get
-- empty_outcome_summary() instead of placeholder rows. Cases are grouped by
-- month_number (month_index, cheaper than month_of per case), turned back into dates
-- once grouped.
with

grouped as (
    select
        route,
        month_of_index(month_number) as month,
        outcome_facts_summary(
            is_approved, is_partial, is_rejected, is_withdrawn, is_pending,
            plan_broken, plan_known, days_to_decision, waived, km_observation
        ) as stats
    from case_facts
    group by route, month_number
),

all_routes as (
    select route from routes
    union
    select route from grouped
),

all_months as (
    select unnest(generate_series(min(month), max(month), interval 1 month))::date as month
    from grouped
),

final as (
    select
        all_routes.route,
        all_months.month,
        unnest(coalesce(grouped.stats, empty_outcome_summary()))
    from all_routes
    cross join all_months
    left join grouped on grouped.route = all_routes.route and grouped.month = all_months.month
    left join routes on routes.route = all_routes.route
    order by all_months.month, routes.position nulls last, all_routes.route
)

select * from final
