-- Asked for one route, granted another: among granted cases (approved or partial),
-- how many got each granted route, per route asked for. One row per observed pair;
-- an empty granted_route is the explicit 'unknown' group (switched is then null).
with

granted_cases as (
    select route::varchar as route, coalesce(granted_route, 'unknown') as granted_route
    from cases
    where is_granted(outcome)
),

pairs as (
    select route, granted_route, count(*) as cases
    from granted_cases
    group by route, granted_route
),

final as (
    select
        pairs.route,
        pairs.granted_route,
        case when pairs.granted_route <> 'unknown' then pairs.granted_route <> pairs.route end
            as switched,
        pairs.cases,
        pairs.cases / sum(pairs.cases) over (partition by pairs.route) as share_of_granted
    from pairs
    left join routes on routes.route = pairs.route
    left join routes as granted on granted.route = pairs.granted_route
    order by
        routes.position nulls last, pairs.route,
        granted.position nulls last, pairs.granted_route
)

select * from final
