-- Decided past cases like each of many profiles, per route, at each level of relaxation
-- (docs/model.md, "Similar cases"). Criteria: product, overdue bucket, prior-overdues
-- bucket, good-history bucket, broken prior agreement, documents submitted (the bucket
-- macros of sql/schema/002_buckets.sql; the good-history buckets are defined here, their
-- only use). A criterion whose profile value is unknown is not a criterion.
-- Level 0 matches on every criterion; each next level drops one more, in this order:
-- good history, prior overdues, documents, product, broken agreement, overdue bucket
-- (level 6: the route alone). The guide takes the first level with enough cases.
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

compared as (
    select
        p.profile,
        c.route,
        c.cases,
        c.granted,
        p.product is null or c.product = p.product as same_product,
        p.overdue_bucket is null or c.overdue_bucket = p.overdue_bucket as same_overdue,
        p.prior_overdues_bucket is null
        or c.prior_overdues_bucket = p.prior_overdues_bucket as same_prior,
        p.good_history_bucket is null
        or c.good_history_bucket is not distinct from p.good_history_bucket as same_history,
        p.broke_prior_agreement is null
        or c.broke_prior_agreement is not distinct from p.broke_prior_agreement as same_broke,
        p.documents_submitted is null
        or c.documents_submitted = p.documents_submitted as same_documents
    from profiles as p
    cross join cells as c
),

levels as (
    select
        profile,
        route,
        cases,
        granted,
        same_product and same_overdue and same_prior and same_history and same_broke
        and same_documents as level_0,
        same_product and same_overdue and same_prior and same_broke
        and same_documents as level_1,
        same_product and same_overdue and same_broke and same_documents as level_2,
        same_product and same_overdue and same_broke as level_3,
        same_overdue and same_broke as level_4,
        same_overdue as level_5
    from compared
),

final as (
    select
        profile,
        route,
        coalesce(sum(cases) filter (where level_0), 0) as cases_0,
        coalesce(sum(granted) filter (where level_0), 0) as granted_0,
        coalesce(sum(cases) filter (where level_1), 0) as cases_1,
        coalesce(sum(granted) filter (where level_1), 0) as granted_1,
        coalesce(sum(cases) filter (where level_2), 0) as cases_2,
        coalesce(sum(granted) filter (where level_2), 0) as granted_2,
        coalesce(sum(cases) filter (where level_3), 0) as cases_3,
        coalesce(sum(granted) filter (where level_3), 0) as granted_3,
        coalesce(sum(cases) filter (where level_4), 0) as cases_4,
        coalesce(sum(granted) filter (where level_4), 0) as granted_4,
        coalesce(sum(cases) filter (where level_5), 0) as cases_5,
        coalesce(sum(granted) filter (where level_5), 0) as granted_5,
        sum(cases) as cases_6,
        sum(granted) as granted_6
    from levels
    group by profile, route
)

select * from final
