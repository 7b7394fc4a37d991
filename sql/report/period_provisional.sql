-- Is a month still provisional? For each calendar month of applied_on in
-- [$start, $end), and for the report's period [$period_start, $end) (month null):
-- requests, withdrawn and pending over every route together, and provisional =
-- more than 5% of the non-withdrawn requests are pending (the is_provisional
-- macro, as the marts).
with

range_cases as (
    select month_of(applied_on) as month, applied_on >= $period_start as in_period, outcome
    from cases
    where applied_on >= $start and applied_on < $end
),

monthly as (
    select
        month,
        count(*) as requests,
        count_if(outcome = 'withdrawn') as withdrawn,
        count_if(outcome = 'pending') as pending
    from range_cases
    group by month
),

whole_period as (
    select
        null::date as month,
        count(*) as requests,
        count_if(outcome = 'withdrawn') as withdrawn,
        count_if(outcome = 'pending') as pending
    from range_cases
    where in_period
),

final as (
    select *, is_provisional(pending, requests, withdrawn) as provisional
    from (select * from monthly union all select * from whole_period)
    order by month nulls last
)

select * from final
