-- route_outcomes per calendar month of applied_on: one row per route and month,
-- for every route and every month from the first to the last month with cases
-- (months or routes without cases appear with zero counts and null rates).
-- The figures are the facts layer's route_groups rows grouped by month (one pass
-- over case_facts shared with the other route_outcomes marts); the route x month
-- grid is built from them, and its empty cells get empty_outcome_summary().
with

grouped as (
    select route, month, * exclude (route, grouped_by, month, segment_value)
    from route_groups
    where grouped_by = 'month'
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

empty_cells as (
    select all_routes.route, all_months.month, unnest(empty_outcome_summary())
    from all_routes
    cross join all_months
    anti join grouped
        on grouped.route = all_routes.route and grouped.month = all_months.month
),

final as (
    select all_cells.*
    from (
        select * from grouped
        union all by name
        select * from empty_cells
    ) as all_cells
    left join routes on routes.route = all_cells.route
    order by all_cells.month, routes.position nulls last, all_cells.route
)

select * from final
