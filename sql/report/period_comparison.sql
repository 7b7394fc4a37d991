-- Has a route's approval rate changed? The period [$start, $end) against the previous
-- period [$previous_start, $previous_end) and a year earlier [$year_start, $year_end):
-- two-sided two-proportion z-test (pooled), Holm's correction over every test of the
-- period; significant when the Holm-adjusted p-value is below 0.05. For a month this
-- is the period_change view's test.
with

labelled as (
    select
        route,
        outcome,
        case
            when applied_on >= $start and applied_on < $end then 'current'
            when applied_on >= $previous_start and applied_on < $previous_end then 'previous'
            when applied_on >= $year_start and applied_on < $year_end then 'year_earlier'
        end as period_role
    from cases
    where (applied_on >= $start and applied_on < $end)
        or (applied_on >= $previous_start and applied_on < $previous_end)
        or (applied_on >= $year_start and applied_on < $year_end)
),

counts as (
    select
        routes.route,
        roles.period_role,
        count_if(is_decided(labelled.outcome)) as decided,
        count_if(is_granted(labelled.outcome)) as granted
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
