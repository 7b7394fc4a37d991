-- route_outcomes per calendar month of applied_on: one row per route and month,
-- for every route and every month from the first to the last month with cases
-- (months or routes without cases appear with zero counts and null rates).
with

case_months as (
    select
        route,
        month_of(applied_on) as month,
        outcome,
        applied_on,
        decided_on,
        waived_amount,
        plan_status
    from cases
),

all_routes as (
    select route from routes
    union
    select distinct route from cases
),

all_months as (
    select unnest(generate_series(min(month), max(month), interval 1 month))::date as month
    from case_months
),

placeholders as (
    select
        all_routes.route,
        all_months.month,
        null::varchar as outcome,
        null::date as applied_on,
        null::date as decided_on,
        null::decimal(18, 2) as waived_amount,
        null::varchar as plan_status
    from all_routes
    cross join all_months
),

counted_cases as (
    select * from case_months
    union all
    select * from placeholders
),

grouped as (
    select
        route,
        month,
        outcome_stats(outcome, applied_on, decided_on, waived_amount, plan_status) as stats
    from counted_cases
    group by route, month
),

final as (
    select grouped.route, grouped.month, unnest(grouped.stats)
    from grouped
    left join routes on routes.route = grouped.route
    order by grouped.month, routes.position nulls last, grouped.route
)

select * from final
