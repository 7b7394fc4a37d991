-- Days to decision quantiles from the Kaplan-Meier observations a group already
-- counts (histogram(km_observation(...)), 30_survival.sql): its uncensored entries
-- (even keys, day * 2) are exactly the decided cases with a decided_on and their
-- days, so the marts get
-- quantile_cont(days to decision, q) without a second aggregate holding every
-- value (benchmarks/stats.py; tests/test_stats.py checks it equals quantile_cont).

-- quantile_cont over the decided days of a km_observation histogram (keys day * 2 +
-- censored: the even keys are the decided days, doubled): the value at
-- position (n - 1) * q of the sorted days, interpolated between its neighbours as
-- quantile_cont does (lo + (hi - lo) * fraction); null when nothing was decided.
create or replace macro decided_days_quantile(observations, q) as (
    with decided as (
        select list_filter(list_sort(map_entries(observations)), lambda e: e.key % 2 = 0)
            as entries
    ),
    ranked as (
        select entries,
               (list_sum(list_transform(entries, lambda e: e.value)) - 1)::double * q::double
                   as position
        from decided
    ),
    bounds as (
        select position,
               list_reduce(entries, lambda state, e: {
                   'seen': state.seen + e.value,
                   'lo': coalesce(state.lo, case when state.seen + e.value > floor(position)
                                               then e.key // 2 end),
                   'hi': coalesce(state.hi, case when state.seen + e.value > ceil(position)
                                               then e.key // 2 end)
               }, {'seen': 0::hugeint, 'lo': null::integer, 'hi': null::integer}) as found
        from ranked
    )
    select found.lo::double + (found.hi::double - found.lo::double) * (position - floor(position))
    from bounds
);
