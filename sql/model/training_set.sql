-- Decided cases as model rows: the features known when the request was made, the
-- label (approved or partial), and what evaluation splits by. Nothing known only
-- after the decision (decided_on, granted_*, waived_amount, plan_status) is selected.
-- Unordered (sorting wide rows is slow): row_key, a hash of case_id, lets the reader
-- put the rows in one fixed order (the training fingerprint depends on it).
with decided as (
    select *
    from cases
    where is_decided(outcome)
),

final as (
    select
        hash(case_id) as row_key,
        applied_on,
        route,
        product,
        channel,
        hardship_reason,
        broke_prior_agreement,
        doc_income_proof,
        doc_bank_statement,
        doc_hardship_evidence,
        cast(outstanding_amount as double) as outstanding_amount,
        overdue_days,
        prior_overdues_12m,
        good_history_months,
        requested_months,
        coalesce(age_band, 'unknown') as age_band,
        coalesce(region, 'unknown') as region,
        is_granted(outcome) as granted
    from decided
)

select * from final
