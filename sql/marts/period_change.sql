-- Is a route's approval rate changing? For every route and month: the approval
-- rate against the previous month and against the same month a year earlier,
-- with a two-sided two-proportion z-test (pooled variance). Multiple comparisons:
-- Holm's step-down correction over all tests of the same month (every route,
-- both comparisons); `significant` when the Holm-adjusted p-value is below 0.05.
-- Counts come from the facts layer's monthly_cells (dimension 'route'): a few hundred
-- rows, not every case.
with

monthly_counts as (
    select
        value as route,
        month,
        granted + rejected as decided,
        granted
    from monthly_cells
    where dimension = 'route'
),

-- every route with a case has a month in monthly_counts (no second scan of cases)
all_routes as (
    select route from routes
    union
    select route from monthly_counts
),

all_months as (
    select unnest(generate_series(min(month), max(month), interval 1 month))::date as month
    from monthly_counts
),

route_months as (
    select
        all_routes.route,
        all_months.month,
        coalesce(monthly_counts.decided, 0) as decided,
        coalesce(monthly_counts.granted, 0) as granted
    from all_routes
    cross join all_months
    left join monthly_counts
        on monthly_counts.route = all_routes.route and monthly_counts.month = all_months.month
),

comparisons as (
    select * from (values ('previous_month', 1), ('year_earlier', 12)) as t (comparison, months_back)
),

paired as (
    select
        current_month.route,
        current_month.month,
        comparisons.comparison,
        (current_month.month - to_months(comparisons.months_back))::date as compared_month,
        current_month.decided,
        current_month.granted,
        coalesce(earlier.decided, 0) as compared_decided,
        coalesce(earlier.granted, 0) as compared_granted
    from route_months as current_month
    cross join comparisons
    left join route_months as earlier
        on earlier.route = current_month.route
        and earlier.month = (current_month.month - to_months(comparisons.months_back))::date
),

tested as (
    select
        *,
        safe_ratio(granted, decided) as approval_rate,
        safe_ratio(compared_granted, compared_decided) as compared_approval_rate,
        two_proportion_z(granted, decided, compared_granted, compared_decided) as z_statistic
    from paired
),

with_p as (
    select *, normal_two_sided_p(z_statistic) as p_value
    from tested
),

-- Holm's correction over all tests of the same month (sql/macros/50_holm.sql)
adjusted as (
    select * from holm('with_p', month, [route, comparison])
),

final as (
    select
        adjusted.route,
        adjusted.month,
        adjusted.comparison,
        adjusted.compared_month,
        adjusted.decided,
        adjusted.granted,
        adjusted.approval_rate,
        adjusted.compared_decided,
        adjusted.compared_granted,
        adjusted.compared_approval_rate,
        adjusted.approval_rate - adjusted.compared_approval_rate as rate_change,
        adjusted.z_statistic,
        adjusted.p_value,
        adjusted.tests_in_family as tests_in_month,
        adjusted.p_value_holm,
        coalesce(adjusted.p_value_holm < 0.05, false) as significant
    from adjusted
    left join routes on routes.route = adjusted.route
    order by adjusted.month, routes.position nulls last, adjusted.route, adjusted.comparison
)

select * from final
