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

ranked as (
    select
        *,
        count(p_value) over () as tests_in_period,
        row_number() over (order by p_value nulls last, route, comparison) as p_rank
    from with_p
),

adjusted as (
    select
        *,
        case when p_value is not null then least(1.0, max((tests_in_period - p_rank + 1) * p_value)
            over (order by p_value nulls last, route, comparison
                  rows between unbounded preceding and current row)) end as p_value_holm
    from ranked
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
