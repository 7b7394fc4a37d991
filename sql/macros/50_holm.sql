-- Holm's step-down correction for multiple comparisons, written once (the mart
-- period_change and the report's period_comparison both use it).
-- holm(relation, family, tie_break): the rows of the named relation (a table, view or
-- CTE name, as text) with p_value, plus tests_in_family (the p-values of its family),
-- p_rank (1 = smallest p; ties broken by tie_break, a column or list of columns) and
-- p_value_holm: the i-th smallest of m p-values times (m - i + 1), made monotone with
-- a running maximum and capped at 1; null where p_value is null. Families are the
-- values of family (a column; a constant for one family).
create or replace macro holm(relation, family, tie_break) as table
    with ranked as (
        select
            *,
            count(p_value) over (partition by family) as tests_in_family,
            row_number() over (partition by family order by p_value nulls last, tie_break)
                as p_rank
        from query_table(relation)
    )
    select
        *,
        case when p_value is not null then least(1.0, max((tests_in_family - p_rank + 1) * p_value)
            over (partition by family order by p_value nulls last, tie_break
                  rows between unbounded preceding and current row)) end as p_value_holm
    from ranked;
