-- Decided past cases counted per cell of what the similar-case match compares (route,
-- product, overdue bucket, prior-overdues bucket, good-history bucket, broken prior
-- agreement, documents submitted), and each given profile's values of the same
-- criteria, null where the profile's input is unknown (an unknown input is not a
-- criterion). The bucket macros are sql/schema/002_buckets.sql's; the good-history
-- buckets are defined here, their only use. The guide (guide.similar_cases) sums the
-- cells matching each profile and relaxes criteria in the order of docs/model.md
-- ("Similar cases"), so many profiles cost one pass over the cases.
-- Parameters: lists with one element per profile (null when unknown): $profile,
-- $product, $overdue_days, $prior_overdues_12m, $good_history_months,
-- $broke_prior_agreement, $doc_income_proof, $doc_bank_statement, $doc_hardship_evidence.
with history_buckets as (
    select *
    from (values (0, 11, '0-11'), (12, 35, '12-35'), (36, null, '36+')) as t (low, high, label)
),

given as (
    select
        unnest(cast($profile as integer[])) as profile,
        unnest(cast($product as varchar[])) as product,
        unnest(cast($overdue_days as integer[])) as overdue_days,
        unnest(cast($prior_overdues_12m as integer[])) as prior_overdues_12m,
        unnest(cast($good_history_months as integer[])) as good_history_months,
        unnest(cast($broke_prior_agreement as boolean[])) as broke_prior_agreement,
        unnest(cast($doc_income_proof as boolean[])) as doc_income_proof,
        unnest(cast($doc_bank_statement as boolean[])) as doc_bank_statement,
        unnest(cast($doc_hardship_evidence as boolean[])) as doc_hardship_evidence
),

profiles as (
    select
        g.profile,
        g.product,
        case when g.overdue_days is not null
            then overdue_bucket(g.overdue_days) end as overdue_bucket,
        case when g.prior_overdues_12m is not null
            then prior_overdues_bucket(g.prior_overdues_12m) end as prior_overdues_bucket,
        h.label as good_history_bucket,
        g.broke_prior_agreement,
        case when coalesce(g.doc_income_proof, g.doc_bank_statement, g.doc_hardship_evidence)
            is not null then documents_submitted(
                g.doc_income_proof, g.doc_bank_statement, g.doc_hardship_evidence
            ) end as documents_submitted
    from given as g
    left join history_buckets as h
        on g.good_history_months >= h.low
        and (h.high is null or g.good_history_months <= h.high)
),

cells as (
    select
        cast(c.route as varchar) as route,
        cast(c.product as varchar) as product,
        c.overdue_bucket,
        c.prior_overdues_bucket,
        h.label as good_history_bucket,
        c.broke_prior_agreement,
        c.documents_submitted,
        count(*) as cases,
        count(*) filter (where is_granted(c.outcome)) as granted
    from cases as c
    left join history_buckets as h
        on c.good_history_months >= h.low
        and (h.high is null or c.good_history_months <= h.high)
    where is_decided(c.outcome)
    group by all
),

final as (
    select
        'cell' as kind,
        null as profile,
        route,
        product,
        overdue_bucket,
        prior_overdues_bucket,
        good_history_bucket,
        cast(broke_prior_agreement as varchar) as broke_prior_agreement,
        documents_submitted,
        cases,
        granted
    from cells
    union all
    select
        'profile' as kind,
        profile,
        null as route,
        product,
        overdue_bucket,
        prior_overdues_bucket,
        good_history_bucket,
        cast(broke_prior_agreement as varchar) as broke_prior_agreement,
        documents_submitted,
        null as cases,
        null as granted
    from profiles
)

select * from final
