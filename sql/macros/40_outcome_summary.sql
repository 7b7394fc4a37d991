-- Every outcome statistic of CASE-RECORDS.md for a group of cases, written once:
-- the route_outcomes marts, the report's period figures and analysts' own groupings
-- all finish with outcome_summary.

-- Every outcome statistic of CASE-RECORDS.md from a group's counts, as a struct.
-- The marts count once per group (count_if over per-case flags computed once) and
-- finish here; outcome_stats below is the same over raw columns. Decided is
-- approved + partial + rejected and granted approved + partial (is_decided,
-- is_granted); counts come out as BIGINT. days_quantiles is quantile_cont(days to
-- decision, [0.5, 0.9]); median_waived is quantile_cont(waived_amount::double, 0.5);
-- km_observations is histogram(km_observation(...)) over the group (30_survival.sql).
-- The columns added in 2026-12 (decided_share, provisional and the Kaplan-Meier
-- times) come last, so the older columns keep their positions.
create or replace macro outcome_summary(
    requests, approved, partial, rejected, withdrawn, pending,
    broken_plans, known_plans, days_quantiles, median_waived, km_observations
) as {
    'requests': requests::bigint,
    'decided': (approved + partial + rejected)::bigint,
    'approved': approved::bigint,
    'partial': partial::bigint,
    'rejected': rejected::bigint,
    'withdrawn': withdrawn::bigint,
    'pending': pending::bigint,
    'approval_rate': safe_ratio(approved + partial, approved + partial + rejected),
    'approval_rate_low': wilson_low(approved + partial, approved + partial + rejected),
    'approval_rate_high': wilson_high(approved + partial, approved + partial + rejected),
    'median_days_to_decision': days_quantiles[1],
    'p90_days_to_decision': days_quantiles[2],
    'median_waived_amount': median_waived,
    'broken_plan_share': safe_ratio(broken_plans, known_plans),
    'decided_share': safe_ratio((approved + partial + rejected)::double, requests - withdrawn),
    'provisional': is_provisional(pending, requests, withdrawn),
    'median_days_to_decision_km': km_quantile(km_observations, 0.5),
    'p90_days_to_decision_km': km_quantile(km_observations, 0.9)
};

-- outcome_summary of a group without cases: zero counts, null rates and quantiles.
create or replace macro empty_outcome_summary() as outcome_summary(
    0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
    0::bigint, 0::bigint, null::double[], null::double,
    null::map(integer, ubigint)
);

-- Every outcome statistic of CASE-RECORDS.md for one group of cases, as a struct
-- (select ..., outcome_stats(...) as stats ... group by ...; then unnest(stats)).
-- Counts use count(outcome), not count(*), and null-safe conditions, so rows with a
-- null outcome (placeholders for groups without cases) count as nothing.
-- Quantiles are interpolated (quantile_cont, as numpy's default); days to decision
-- count over decided cases with a decided_on; nulls never enter a quantile. Pending
-- requests are censored at data_as_of(), the as-of date of all of cases, also when
-- the group is a subset of cases.
create or replace macro outcome_stats(outcome, applied_on, decided_on, waived_amount, plan_status) as
    outcome_summary(
        count(outcome),
        count_if(outcome is not distinct from 'approved'),
        count_if(outcome is not distinct from 'partial'),
        count_if(outcome is not distinct from 'rejected'),
        count_if(outcome is not distinct from 'withdrawn'),
        count_if(outcome is not distinct from 'pending'),
        count_if(plan_status is not distinct from 'broken'),
        count(plan_status),
        quantile_cont(case when is_decided(outcome) then decided_on - applied_on end, [0.5, 0.9]),
        quantile_cont(waived_amount::double, 0.5),
        histogram(km_observation(outcome, applied_on, decided_on, data_as_of()))
    );

-- The statistics of a group of per-case facts (the view case_facts,
-- sql/facts/case_facts.sql), from its flags: what the route_outcomes marts and the
-- report's period_route_stats aggregate, written once. Pass the facts' columns by name.
-- The days-to-decision quantiles are read off the group's Kaplan-Meier histogram
-- (decided_days_quantile, 35_decided_days.sql: equal to quantile_cont over
-- days_to_decision, one aggregate fewer holding every value).
create or replace macro outcome_facts_summary(
    is_approved, is_partial, is_rejected, is_withdrawn, is_pending, plan_broken,
    plan_known, days_to_decision, waived, km_observation
) as
    outcome_summary(
        count(*),
        count_if(is_approved),
        count_if(is_partial),
        count_if(is_rejected),
        count_if(is_withdrawn),
        count_if(is_pending),
        count_if(plan_broken),
        count_if(plan_known),
        [decided_days_quantile(histogram(km_observation), 0.5),
         decided_days_quantile(histogram(km_observation), 0.9)],
        quantile_cont(waived, 0.5),
        histogram(km_observation)
    );
