-- Is a month still provisional? For each calendar month of applied_on in
-- [$start, $end), and for the report's period [$period_start, $end) (month null):
-- requests, withdrawn and pending over every route together (monthly_cells,
-- dimension '*'), and provisional = more than 5% of the non-withdrawn requests are
-- pending (the is_provisional macro, as the marts).
with

monthly as (
    select
        month,
        granted + rejected + withdrawn + pending as requests,
        withdrawn,
        pending
    from monthly_cells
    where dimension = '*' and month >= $start and month < $end
),

whole_period as (
    select
        null::date as month,
        coalesce(sum(requests), 0)::bigint as requests,
        coalesce(sum(withdrawn), 0)::bigint as withdrawn,
        coalesce(sum(pending), 0)::bigint as pending
    from monthly
    where month >= $period_start
),

final as (
    select *, is_provisional(pending, requests, withdrawn) as provisional
    from (select * from monthly union all select * from whole_period)
    order by month nulls last
)

select * from final
