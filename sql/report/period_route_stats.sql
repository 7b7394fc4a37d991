-- Time to decision and relief granted per route, and over all routes (route '*'),
-- for cases applied for in [$start, $end): the same definitions as route_outcomes
-- (case_facts and the outcome_facts_summary macro), so for one month these equal
-- route_outcomes_monthly.
-- The Kaplan-Meier times count pending requests as censored at the data's as-of
-- date; the plain median and 90th percentile count decided requests only.
with

period_cases as (
    select * from case_facts
    where applied_on >= $start and applied_on < $end
),

grouped as (
    select
        coalesce(route, '*') as route,
        outcome_facts_summary(
            is_approved, is_partial, is_rejected, is_withdrawn, is_pending,
            plan_broken, plan_known, days_to_decision, waived, km_observation
        ) as stats
    from period_cases
    group by grouping sets ((route), ())
),

final as (
    select
        grouped.route,
        grouped.stats.median_days_to_decision_km,
        grouped.stats.p90_days_to_decision_km,
        grouped.stats.median_days_to_decision,
        grouped.stats.p90_days_to_decision,
        grouped.stats.median_waived_amount,
        grouped.stats.decided_share,
        grouped.stats.provisional
    from grouped
    left join routes on routes.route = grouped.route
    order by routes.position nulls last, grouped.route
)

select * from final
