-- Quarantined rows by column and rule, over every batch. Counts only: the content
-- of a quarantined row (line, value, row_content, case_id) is never read here.
with

counted as (
    select
        coalesce(column_name, 'row') as column_name,
        rule,
        count(*) as quarantined_rows
    from quarantine
    group by all
),

final as (
    select * from counted order by column_name, rule
)

select * from final
