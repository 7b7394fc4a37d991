-- What became of granted plans (approved or partial cases): completed, active or
-- broken, by the route granted and the calendar months between the grant
-- (decided_on) and the latest decision in the data (data_as_of). Empty values
-- stay explicit: granted_route 'unknown', months_since_grant null when decided_on
-- is empty, status_unknown counts plans without a plan_status.
with

as_of as (
    select max(decided_on) as data_as_of from cases
),

plans as (
    select
        coalesce(cases.granted_route, 'unknown') as granted_route,
        datediff('month', cases.decided_on, as_of.data_as_of) as months_since_grant,
        cases.plan_status,
        as_of.data_as_of
    from cases
    cross join as_of
    where is_granted(cases.outcome)
),

grouped as (
    select
        granted_route,
        months_since_grant,
        count(*) as plans,
        count(*) filter (where plan_status = 'completed') as completed,
        count(*) filter (where plan_status = 'active') as active,
        count(*) filter (where plan_status = 'broken') as broken,
        count(*) filter (where plan_status is null) as status_unknown,
        safe_ratio(count(*) filter (where plan_status = 'completed'), count(plan_status))
            as completed_share,
        safe_ratio(count(*) filter (where plan_status = 'active'), count(plan_status))
            as active_share,
        safe_ratio(count(*) filter (where plan_status = 'broken'), count(plan_status))
            as broken_share,
        any_value(data_as_of) as data_as_of
    from plans
    group by granted_route, months_since_grant
),

final as (
    select grouped.*
    from grouped
    left join routes on routes.route = grouped.granted_route
    order by routes.position nulls last, grouped.granted_route, grouped.months_since_grant
)

select * from final
