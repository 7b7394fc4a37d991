-- One row per relief route: outcome counts, approval rate with its 95% Wilson
-- interval, time to decision, waived amount and plan breakage (CASE-RECORDS.md).
-- Every route of the contract appears, with zero counts and null rates when nobody
-- asked for it. Only `cases` (the current version of each case) counts.
-- The figures are the facts layer's route_groups rows grouped by route (one pass
-- over case_facts shared with the other route_outcomes marts); routes without cases
-- get empty_outcome_summary().
with

grouped as (
    select * exclude (grouped_by, month, segment_value)
    from route_groups
    where grouped_by = 'route'
),

empty_routes as (
    select routes.route, unnest(empty_outcome_summary())
    from routes
    anti join grouped on grouped.route = routes.route
),

final as (
    select all_routes.*
    from (
        select * from grouped
        union all by name
        select * from empty_routes
    ) as all_routes
    left join routes on routes.route = all_routes.route
    order by routes.position nulls last, all_routes.route
)

select * from final
