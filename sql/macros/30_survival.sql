-- Time to decision when some requests are still pending: survival analysis
-- (CASE-RECORDS.md, "Added (2026-12)"; methodology in docs/analyst-guide.md).
-- A decided request is an event at its days from applied_on to decided_on; a
-- pending request is censored at the data's as-of date (it has waited that long
-- and is still waiting); withdrawn requests, and decided ones without a
-- decided_on, are left out.

-- The data's as-of date: the latest applied_on or decided_on in cases (greatest
-- skips a null decided_on); null without cases.
create or replace macro data_as_of() as
    (select max(greatest(applied_on, decided_on)) from cases);

-- One request's observation for km_quantile, or null when it is left out: the days
-- waited, doubled, plus 1 when the wait was cut short (censored) because the request
-- is still pending: day * 2 + censored. One integer, so histogram() counts a
-- group's events and censorings per day together (a quarter faster than a struct
-- key), and sorting the keys puts a day's events before its censorings.
create or replace macro km_observation(outcome, applied_on, decided_on, as_of) as
    case
        when is_decided(outcome) and decided_on is not null then
            (decided_on - applied_on)::integer * 2
        when outcome = 'pending' then
            (as_of - applied_on)::integer * 2 + 1
    end;

-- The q-quantile of the Kaplan-Meier estimate of days to decision, from a group's
-- histogram(km_observation(...)): the first event day t where the estimated share
-- still undecided, S(t) = product over event days u <= t of (1 - d_u / n_u), is at
-- most 1 - q (d_u decisions on day u, n_u requests neither decided nor censored
-- before u: a request censored on day u is still at risk on day u). Null while S
-- has not come down to 1 - q (too many requests still pending) and for an empty
-- group. Without pending requests this is the smallest day with at least a share q
-- decided by then (an inverse-distribution quantile, not interpolated).
-- One pass over the group's distinct keys (list_reduce keeps the number at risk,
-- S and the answer); the 1e-9 allowance keeps an S of exactly 1 - q, computed as
-- a product in floating point, on the right side of the line.
create or replace macro km_quantile(observations, q) as
    list_reduce(
        list_sort(map_entries(observations)),
        lambda state, entry: {
            'at_risk': state.at_risk - entry.value,
            'survival': case when entry.key % 2 = 1 then state.survival
                else state.survival * (1 - entry.value / state.at_risk) end,
            'day': coalesce(state.day, case
                when entry.key % 2 = 0
                    and state.survival * (1 - entry.value / state.at_risk) <= 1 - q + 1e-9
                then entry.key // 2 end)
        },
        {'at_risk': list_sum(map_values(observations))::double, 'survival': 1.0::double,
         'day': null::integer}
    ).day::double;

-- A group's figures are provisional while more than 5% of its non-withdrawn
-- requests are pending: their decision times and approval rate may still move.
-- In integers (pending * 20 > requests - withdrawn), so the line is exact.
create or replace macro is_provisional(pending, requests, withdrawn) as
    coalesce(pending * 20 > requests - withdrawn, false);
