-- Reference for tests/test_stats.py: the outcome_stats macro as it was before the
-- marts were made faster (commit cdc4db0, sql/schema/004_stats_macros.sql), applied
-- over the current one; with marts/ (that commit's sql/marts, verbatim) it gives the
-- old definitions' output, which the current marts must reproduce exactly.

-- Every outcome statistic of CASE-RECORDS.md for one group of cases, as a struct
-- (select ..., outcome_stats(...) as stats ... group by ...; then unnest(stats)).
-- Counts use count(outcome), not count(*), and null-safe conditions: the marts add
-- placeholder rows with a null outcome so that groups without cases appear, with zeros.
-- Quantiles are interpolated (quantile_cont, as numpy's default); days to decision
-- count over decided cases with a decided_on; nulls never enter a quantile.
create or replace macro outcome_stats(outcome, applied_on, decided_on, waived_amount, plan_status) as {
    'requests': count(outcome),
    'decided': count_if(is_decided(outcome))::bigint,
    'approved': count_if(outcome is not distinct from 'approved')::bigint,
    'partial': count_if(outcome is not distinct from 'partial')::bigint,
    'rejected': count_if(outcome is not distinct from 'rejected')::bigint,
    'withdrawn': count_if(outcome is not distinct from 'withdrawn')::bigint,
    'pending': count_if(outcome is not distinct from 'pending')::bigint,
    'approval_rate': safe_ratio(count_if(is_granted(outcome)), count_if(is_decided(outcome))),
    'approval_rate_low': wilson_low(count_if(is_granted(outcome)), count_if(is_decided(outcome))),
    'approval_rate_high':
        wilson_high(count_if(is_granted(outcome)), count_if(is_decided(outcome))),
    'median_days_to_decision': quantile_cont(
        case when is_decided(outcome) then decided_on - applied_on end, [0.5, 0.9])[1],
    'p90_days_to_decision': quantile_cont(
        case when is_decided(outcome) then decided_on - applied_on end, [0.5, 0.9])[2],
    'median_waived_amount': quantile_cont(waived_amount::double, 0.5),
    'broken_plan_share': safe_ratio(count_if(plan_status is not distinct from 'broken'), count(plan_status))
};
