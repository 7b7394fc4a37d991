-- Outcome flags, shares and months: the smallest shared definitions of the marts
-- (sql/marts/*.sql). Every file in sql/macros is created or replaced on every
-- connection to the working database (warehouse.create_macros), in file-name order
-- (a macro must follow the macros it uses), so these files are the live
-- definitions; migration 004 holds the first versions, for history only.
-- Column meanings: docs/data-dictionary.md. Definitions: CASE-RECORDS.md.

-- Outcomes that count as a decision, and those that count as relief granted
-- (contract.DECIDED_OUTCOMES, contract.GRANTED_OUTCOMES; checked by a test).
-- Null-safe: a missing outcome (the marts' placeholder rows) is neither.
create or replace macro is_decided(outcome) as
    coalesce(outcome in ('approved', 'partial', 'rejected'), false);

create or replace macro is_granted(outcome) as coalesce(outcome in ('approved', 'partial'), false);

-- A share that is null, not an error, when nothing was counted.
create or replace macro safe_ratio(numerator, denominator) as numerator / nullif(denominator, 0);

-- Month of a date: its first day, a DATE (route_outcomes_monthly.month).
create or replace macro month_of(day) as date_trunc('month', day)::date;

-- A date's month as a number (year * 12 + month - 1) and back to month_of's DATE.
-- Grouping many cases by the number is about twice as fast as by month_of (no
-- date_trunc per case); the marts convert the few grouped rows back. Differences of
-- indexes equal datediff('month', ...).
create or replace macro month_index(day) as year(day) * 12 + month(day) - 1;

create or replace macro month_of_index(index) as make_date(index // 12, index % 12 + 1, 1);
