-- One row per relief route: outcome counts, approval rate with its 95% Wilson
-- interval, time to decision, waived amount and plan breakage (CASE-RECORDS.md).
-- Every route of the contract appears, with zero counts and null rates when nobody
-- asked for it. Only `cases` (the current version of each case) counts.
-- Speed (benchmarks/stats.py): one pass over case_facts (per-case flags computed
-- once); routes without cases get empty_outcome_summary() instead of placeholder rows.
with

grouped as (
    select
        route,
        outcome_facts_summary(
            is_approved, is_partial, is_rejected, is_withdrawn, is_pending,
            plan_broken, plan_known, days_to_decision, waived, km_observation
        ) as stats
    from case_facts
    group by route
),

all_routes as (
    select route from routes
    union
    select route from grouped
),

final as (
    select all_routes.route, unnest(coalesce(grouped.stats, empty_outcome_summary()))
    from all_routes
    left join grouped on grouped.route = all_routes.route
    left join routes on routes.route = all_routes.route
    order by routes.position nulls last, all_routes.route
)

select * from final
