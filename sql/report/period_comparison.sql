-- Has a route's approval rate changed? The period [$start, $end) against the previous
-- period [$previous_start, $previous_end) and a year earlier [$year_start, $year_end):
-- two-sided two-proportion z-test (pooled), Holm's correction over every test of the
-- period; significant when the Holm-adjusted p-value is below 0.05. Counts are the
-- sums of each period's months in monthly_cells; for a month this is period_change's
-- test.
with

-- the months of each period, by route (monthly_cells, dimension 'route')
labelled as (
    select
        value as route,
        granted + rejected as decided,
        granted,
        case
            when month >= $start and month < $end then 'current'
            when month >= $previous_start and month < $previous_end then 'previous'
            when month >= $year_start and month < $year_end then 'year_earlier'
        end as period_role
    from monthly_cells
    where dimension = 'route'
        and ((month >= $start and month < $end)
            or (month >= $previous_start and month < $previous_end)
            or (month >= $year_start and month < $year_end))
),

counts as (
    select
        routes.route,
        roles.period_role,
        coalesce(sum(labelled.decided), 0)::bigint as decided,
        coalesce(sum(labelled.granted), 0)::bigint as granted
    from routes
    cross join (values ('current'), ('previous'), ('year_earlier')) as roles (period_role)
    left join labelled
        on labelled.route = routes.route and labelled.period_role = roles.period_role
    group by all
),

paired as (
    select
        current_period.route,
        earlier.period_role as comparison,
        current_period.decided,
        current_period.granted,
        earlier.decided as compared_decided,
        earlier.granted as compared_granted,
        two_proportion_z(current_period.granted, current_period.decided,
                         earlier.granted, earlier.decided) as z_statistic
    from counts as current_period
    join counts as earlier
        on earlier.route = current_period.route and earlier.period_role <> 'current'
    where current_period.period_role = 'current'
),

with_p as (
    select *, normal_two_sided_p(z_statistic) as p_value from paired
),

-- Holm's correction over every test of the period (sql/macros/50_holm.sql)
adjusted as (
    select * from holm('with_p', 'period', [route, comparison])
),

final as (
    select
        adjusted.route,
        adjusted.comparison,
        safe_ratio(adjusted.granted, adjusted.decided)
            - safe_ratio(adjusted.compared_granted, adjusted.compared_decided) as rate_change,
        adjusted.p_value,
        adjusted.p_value_holm,
        coalesce(adjusted.p_value_holm < 0.05, false) as significant
    from adjusted
    left join routes on routes.route = adjusted.route
    order by routes.position, adjusted.comparison
)

select * from final
