-- One row per relief route: outcome counts, approval rate with its 95% Wilson
-- interval, time to decision, waived amount and plan breakage (CASE-RECORDS.md).
-- Every route of the contract appears, with zero counts and null rates when nobody
-- asked for it. Only `cases` (the current version of each case) counts.
with

all_routes as (
    select route from routes
    union
    select distinct route from cases
),

-- one empty row per route, so that routes without cases still get a group
placeholders as (
    select
        route,
        null::varchar as outcome,
        null::date as applied_on,
        null::date as decided_on,
        null::decimal(18, 2) as waived_amount,
        null::varchar as plan_status
    from all_routes
),

counted_cases as (
    select route, outcome, applied_on, decided_on, waived_amount, plan_status
    from cases
    union all
    select * from placeholders
),

grouped as (
    select
        route,
        outcome_stats(outcome, applied_on, decided_on, waived_amount, plan_status) as stats
    from counted_cases
    group by route
),

final as (
    select grouped.route, unnest(grouped.stats)
    from grouped
    left join routes on routes.route = grouped.route
    order by routes.position nulls last, grouped.route
)

select * from final
