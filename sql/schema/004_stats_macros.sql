-- Shared definitions for the statistics marts (sql/marts/*.sql), written once here.
-- Column meanings: docs/data-dictionary.md. Definitions: CASE-RECORDS.md.

-- The relief routes of the contract (pipelines/contract.py ROUTES), in contract order,
-- so every mart can list every route, including routes nobody asked for yet.
-- tests/test_stats.py checks this table equals contract.ROUTES.
create table routes (
    route     varchar primary key,
    position  integer not null,
    label_zh  varchar not null
);

insert into routes values
    ('installment', 1, '分期还款'),
    ('deferral', 2, '延期还款'),
    ('interest_waiver', 3, '部分免息/减免罚息'),
    ('interest_suspension', 4, '停息挂账'),
    ('settlement', 5, '一次性结清减免'),
    ('other', 6, '其他');

-- Outcomes that count as a decision, and those that count as relief granted
-- (contract.DECIDED_OUTCOMES, contract.GRANTED_OUTCOMES; checked by a test).
-- Null-safe: a missing outcome (the marts' placeholder rows) is neither.
create macro is_decided(outcome) as coalesce(outcome in ('approved', 'partial', 'rejected'), false);

create macro is_granted(outcome) as coalesce(outcome in ('approved', 'partial'), false);

-- A share that is null, not an error, when nothing was counted.
create macro safe_ratio(numerator, denominator) as numerator / nullif(denominator, 0);

-- Month of a date: its first day, a DATE (route_outcomes_monthly.month).
create macro month_of(day) as date_trunc('month', day)::date;

-- A date's month as a number (year * 12 + month - 1) and back to month_of's DATE.
-- Grouping many cases by the number is about twice as fast as by month_of (no
-- date_trunc per case); the marts convert the few grouped rows back. Differences of
-- indexes equal datediff('month', ...).
create macro month_index(day) as year(day) * 12 + month(day) - 1;

create macro month_of_index(index) as make_date(index // 12, index % 12 + 1, 1);

-- 95% Wilson score interval for k successes out of n; null when n is 0.
-- z defaults to the 97.5% normal quantile; clamped to [0, 1] against rounding;
-- computed in double precision (integer n * n would overflow).
create macro wilson_low(k, n, z := 1.959963984540054) as
    case when n > 0 and k is not null then greatest(0.0,
        (k::double / n + z * z / (2.0 * n)
            - z * sqrt((k::double / n) * (1 - k::double / n) / n + z * z / (4.0 * n * n)))
        / (1 + z * z / n))
    end;

create macro wilson_high(k, n, z := 1.959963984540054) as
    case when n > 0 and k is not null then least(1.0,
        (k::double / n + z * z / (2.0 * n)
            + z * sqrt((k::double / n) * (1 - k::double / n) / n + z * z / (4.0 * n * n)))
        / (1 + z * z / n))
    end;

-- Complementary error function, Chebyshev fit (Numerical Recipes "erfcc"):
-- fractional error below 1.2e-7 everywhere, so tiny p-values keep their digits.
-- DuckDB has no erf/normal cdf of its own.
create macro erfc_approx_nonnegative(x) as
    (1 / (1 + 0.5 * x)) * exp(-x * x - 1.26551223 + (1 / (1 + 0.5 * x)) * (1.00002368
        + (1 / (1 + 0.5 * x)) * (0.37409196 + (1 / (1 + 0.5 * x)) * (0.09678418
        + (1 / (1 + 0.5 * x)) * (-0.18628806 + (1 / (1 + 0.5 * x)) * (0.27886807
        + (1 / (1 + 0.5 * x)) * (-1.13520398 + (1 / (1 + 0.5 * x)) * (1.48851587
        + (1 / (1 + 0.5 * x)) * (-0.82215223 + (1 / (1 + 0.5 * x)) * 0.17087277)))))))));

create macro erfc_approx(x) as
    case when x >= 0 then erfc_approx_nonnegative(x) else 2 - erfc_approx_nonnegative(-x) end;

-- Two-proportion z statistic with the pooled variance (k1 of n1 against k2 of n2);
-- null when either side has no trials or the pooled proportion is 0 or 1.
create macro two_proportion_z(k1, n1, k2, n2) as
    case when n1 > 0 and n2 > 0 and (k1 + k2) > 0 and (k1 + k2) < (n1 + n2) then
        (k1::double / n1 - k2::double / n2)
        / sqrt(((k1 + k2)::double / (n1 + n2)) * (1 - (k1 + k2)::double / (n1 + n2))
            * (1.0 / n1 + 1.0 / n2))
    end;

-- Two-sided p-value of a standard normal statistic.
-- (least() skips nulls in DuckDB, hence the explicit null case.)
create macro normal_two_sided_p(z) as
    case when z is not null then least(1.0, erfc_approx(abs(z) / sqrt(2))) end;

-- Every outcome statistic of CASE-RECORDS.md from a group's counts, as a struct.
-- The marts count once per group (count_if over per-case flags computed once) and
-- finish here; outcome_stats below is the same over raw columns. Decided is
-- approved + partial + rejected and granted approved + partial (is_decided,
-- is_granted); counts come out as BIGINT. days_quantiles is quantile_cont(days to decision, [0.5, 0.9]);
-- median_waived is quantile_cont(waived_amount::double, 0.5).
create macro outcome_summary(
    requests, approved, partial, rejected, withdrawn, pending,
    broken_plans, known_plans, days_quantiles, median_waived
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
    'broken_plan_share': safe_ratio(broken_plans, known_plans)
};

-- outcome_summary of a group without cases: zero counts, null rates and quantiles.
create macro empty_outcome_summary() as outcome_summary(
    0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
    0::bigint, 0::bigint, null::double[], null::double
);

-- Every outcome statistic of CASE-RECORDS.md for one group of cases, as a struct
-- (select ..., outcome_stats(...) as stats ... group by ...; then unnest(stats)).
-- Counts use count(outcome), not count(*), and null-safe conditions, so rows with a
-- null outcome (placeholders for groups without cases) count as nothing.
-- Quantiles are interpolated (quantile_cont, as numpy's default); days to decision
-- count over decided cases with a decided_on; nulls never enter a quantile.
create macro outcome_stats(outcome, applied_on, decided_on, waived_amount, plan_status) as
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
        quantile_cont(waived_amount::double, 0.5)
    );

-- Every current case with its outcome flags, days to decision and waived amount as a
-- double: what the route_outcomes marts count and take quantiles of. One definition,
-- used as `from case_outcome_facts()`.
create macro case_outcome_facts() as table
    select
        *,
        outcome = 'approved' as is_approved,
        outcome = 'partial' as is_partial,
        outcome = 'rejected' as is_rejected,
        outcome = 'withdrawn' as is_withdrawn,
        outcome = 'pending' as is_pending,
        plan_status = 'broken' as plan_broken,
        plan_status is not null as plan_known,
        -- days fit an INTEGER (dates have 4-digit years)
        case when is_decided(outcome) then (decided_on - applied_on)::integer end
            as days_to_decision,
        waived_amount::double as waived
    from cases;

-- The statistics of a group of case_outcome_facts() rows, from its flags: what the
-- route_outcomes marts aggregate, written once. Pass the facts' columns by name.
create macro outcome_facts_summary(
    is_approved, is_partial, is_rejected, is_withdrawn, is_pending, plan_broken,
    plan_known, days_to_decision, waived
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
        quantile_cont(days_to_decision, [0.5, 0.9]),
        quantile_cont(waived, 0.5)
    );
