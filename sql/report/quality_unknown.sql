-- Unknown (empty) values per optional column among cases applied for in [$start, $end).
with

period_cases as (
    select * exclude (case_id) from cases
    where applied_on >= $start and applied_on < $end
),

unknown_counts as (
    unpivot (
        select
            count(*) as cases,
            count(*) filter (where channel is null) as channel,
            count(*) filter (where outstanding_amount is null) as outstanding_amount,
            count(*) filter (where overdue_days is null) as overdue_days,
            count(*) filter (where prior_overdues_12m is null) as prior_overdues_12m,
            count(*) filter (where good_history_months is null) as good_history_months,
            count(*) filter (where broke_prior_agreement is null) as broke_prior_agreement,
            count(*) filter (where hardship_reason is null) as hardship_reason,
            count(*) filter (where doc_income_proof is null) as doc_income_proof,
            count(*) filter (where doc_bank_statement is null) as doc_bank_statement,
            count(*) filter (where doc_hardship_evidence is null) as doc_hardship_evidence,
            count(*) filter (where requested_months is null) as requested_months,
            count(*) filter (where age_band is null) as age_band,
            count(*) filter (where region is null) as region
        from period_cases
    )
    on columns(* exclude (cases))
    into name column_name value unknown
),

final as (
    select column_name, unknown, cases from unknown_counts
)

select * from final
