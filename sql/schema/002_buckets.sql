-- Derived buckets (CASE-RECORDS.md, "Derived buckets"). Written once, here;
-- the load step, the marts and the model's similar-case lookup all call these.

create macro overdue_bucket(days) as
    case
        when days is null then 'unknown'
        when days <= 30 then '0-30'
        when days <= 90 then '31-90'
        when days <= 180 then '91-180'
        else '181+'
    end;

create macro prior_overdues_bucket(n) as
    case
        when n is null then 'unknown'
        when n = 0 then '0'
        when n = 1 then '1'
        when n <= 3 then '2-3'
        else '4+'
    end;

-- How many of the three document flags are true; unknown only when all three are.
create macro documents_submitted(income_proof, bank_statement, hardship_evidence) as
    case
        when income_proof is null and bank_statement is null and hardship_evidence is null
            then 'unknown'
        else cast(
            coalesce(income_proof::int, 0)
            + coalesce(bank_statement::int, 0)
            + coalesce(hardship_evidence::int, 0) as varchar)
    end;
