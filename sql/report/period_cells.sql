-- The counts behind every published count of a report: for each calendar month of
-- applied_on in [$start, $end), each dimension and each of its values, as the facts
-- layer holds them (monthly_cells: its columns and classes are in
-- docs/data-dictionary.md). A quarter's counts are the sums of its months.
with

final as (
    select *
    from monthly_cells
    where month >= $start and month < $end
    order by month, dimension, value
)

select * from final
