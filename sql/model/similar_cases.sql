-- Decided past cases like one profile, per route: same overdue bucket, prior-overdues
-- bucket and documents submitted (the bucket macros of sql/schema/002_buckets.sql).
-- Parameters: $overdue_days, $prior_overdues_12m, $doc_income_proof,
-- $doc_bank_statement, $doc_hardship_evidence (null when unknown).
with profile as (
    select
        overdue_bucket(cast($overdue_days as integer)) as overdue_bucket,
        prior_overdues_bucket(cast($prior_overdues_12m as integer)) as prior_overdues_bucket,
        documents_submitted(
            cast($doc_income_proof as boolean),
            cast($doc_bank_statement as boolean),
            cast($doc_hardship_evidence as boolean)
        ) as documents_submitted
),

matching as (
    select c.route, c.outcome
    from cases as c
    inner join profile as p
        on c.overdue_bucket = p.overdue_bucket
        and c.prior_overdues_bucket = p.prior_overdues_bucket
        and c.documents_submitted = p.documents_submitted
    where is_decided(c.outcome)
),

final as (
    select
        route,
        count(*) as similar_cases,
        count(*) filter (where is_granted(outcome)) as similar_granted
    from matching
    group by route
)

select * from final
