-- materialized: view
-- Every current case with what the marts and the report count: its outcome flags,
-- days to decision, waived amount as a double, the data's as-of date and its
-- Kaplan-Meier observation; the case's own columns are those the groupings use.
-- A view, not a table: the refresh would spend longer writing a million rows than
-- the marts spend reading them through the view (docs/architecture.md, the SQL
-- layers). data_as_of() is one uncorrelated subquery, computed once (a cross join
-- with it cost the marts more). Column meanings: docs/data-dictionary.md.
with

final as (
    select
        cases.case_id,
        cases.applied_on,
        cases.decided_on,
        cases.route,
        cases.outcome,
        cases.granted_route,
        cases.plan_status,
        cases.source,
        cases.product,
        cases.channel,
        cases.overdue_bucket,
        cases.prior_overdues_bucket,
        cases.documents_submitted,
        cases.hardship_reason,
        cases.broke_prior_agreement,
        cases.age_band,
        cases.region,
        month_index(cases.applied_on) as month_number,
        cases.outcome = 'approved' as is_approved,
        cases.outcome = 'partial' as is_partial,
        cases.outcome = 'rejected' as is_rejected,
        cases.outcome = 'withdrawn' as is_withdrawn,
        cases.outcome = 'pending' as is_pending,
        is_granted(cases.outcome) as is_granted,
        cases.plan_status = 'broken' as plan_broken,
        cases.plan_status is not null as plan_known,
        -- days fit an INTEGER (dates have 4-digit years)
        case when is_decided(cases.outcome) then (cases.decided_on - cases.applied_on)::integer end
            as days_to_decision,
        cases.waived_amount::double as waived,
        data_as_of() as data_as_of,
        km_observation(cases.outcome, cases.applied_on, cases.decided_on, data_as_of())
            as km_observation
    from cases
)

select * from final
