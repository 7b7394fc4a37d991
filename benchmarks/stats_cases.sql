-- Synthetic current cases for benchmarks/stats.py, generated inside DuckDB.
-- $n is replaced by the number of cases. Values are deterministic hashes of the
-- row number: realistic spread over routes, outcomes, months and segments, with
-- some nulls in every optional column. Not a model of lending: see pipelines/synth/.
insert into cases by name
with

numbered as (
    select range as i from range($n)
),

drawn as (
    select
        i,
        hash(i, 1) % 1000 as u_route,
        hash(i, 2) % 1000 as u_outcome,
        hash(i, 3) % 1095 as day_offset,
        hash(i, 4) % 120 as decision_days,
        hash(i, 5) % 1000 as u_misc,
        hash(i, 6) % 400 as overdue,
        hash(i, 7) % 34 as region_code
    from numbered
),

final as (
    select
        'case-' || i as case_id,
        'synthetic' as source,
        date '2022-01-01' + day_offset::integer as applied_on,
        case when u_outcome < 900
            then date '2022-01-01' + (day_offset + decision_days)::integer end as decided_on,
        (['revolving_credit', 'cash_loan', 'credit_card', 'consumer_loan', 'mortgage',
          'student_loan', 'vehicle_loan', 'other'])[1 + (u_misc % 8)::integer] as product,
        (['installment', 'installment', 'installment', 'deferral', 'deferral',
          'interest_waiver', 'interest_waiver', 'interest_suspension', 'settlement',
          'other'])[1 + (u_route % 10)::integer] as route,
        case when u_misc % 7 <> 0 then (['app', 'hotline', 'online_chat', 'in_person',
            'third_party', 'regulator'])[1 + (u_misc % 6)::integer] end as channel,
        case when u_misc % 11 <> 0 then (overdue * 97.5)::decimal(18, 2) end
            as outstanding_amount,
        case when u_misc % 13 <> 0 then overdue::integer end as overdue_days,
        case when u_misc % 17 <> 0 then (u_misc % 6)::integer end as prior_overdues_12m,
        case when u_misc % 19 <> 0 then (u_misc % 48)::integer end as good_history_months,
        case when u_misc % 23 <> 0 then u_misc % 5 = 0 end as broke_prior_agreement,
        case when u_misc % 9 <> 0 then (['unemployment', 'income_drop', 'illness',
            'business_failure', 'family_emergency', 'disaster', 'over_indebted',
            'other'])[1 + (u_misc % 8)::integer] end as hardship_reason,
        case when u_misc % 29 <> 0 then u_misc % 2 = 0 end as doc_income_proof,
        case when u_misc % 29 <> 0 then u_misc % 3 = 0 end as doc_bank_statement,
        case when u_misc % 29 <> 0 then u_misc % 4 = 0 end as doc_hardship_evidence,
        case when u_misc % 5 <> 0 then (1 + u_misc % 36)::integer end as requested_months,
        case when u_misc % 31 <> 0 then (['18-24', '25-34', '35-44', '45-54', '55-64',
            '65+'])[1 + (u_misc % 6)::integer] end as age_band,
        case when u_misc % 37 <> 0 then 'region-' || region_code end as region,
        case
            when u_outcome < 450 then 'approved'
            when u_outcome < 600 then 'partial'
            when u_outcome < 850 then 'rejected'
            when u_outcome < 900 then 'withdrawn'
            else 'pending'
        end as outcome,
        case when u_outcome < 600 then
            case when u_misc % 10 = 0 then 'installment' when u_misc % 10 = 1 then null
            else (['installment', 'installment', 'installment', 'deferral', 'deferral',
                'interest_waiver', 'interest_waiver', 'interest_suspension', 'settlement',
                'other'])[1 + (u_route % 10)::integer] end
        end as granted_route,
        case when u_outcome < 600 then (1 + u_misc % 36)::integer end as granted_months,
        case when u_outcome < 600 and u_misc % 3 <> 0
            then (u_misc * 3.21)::decimal(18, 2) end as waived_amount,
        case when u_outcome < 600 and u_misc % 4 <> 0
            then (['active', 'completed', 'broken'])[1 + (u_misc % 3)::integer] end
            as plan_status,
        1 as batch_id
    from drawn
)

select
    *,
    overdue_bucket(overdue_days) as overdue_bucket,
    prior_overdues_bucket(prior_overdues_12m) as prior_overdues_bucket,
    documents_submitted(doc_income_proof, doc_bank_statement, doc_hardship_evidence)
        as documents_submitted
from final
