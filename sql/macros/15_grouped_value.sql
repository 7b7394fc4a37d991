-- A grouping-sets row's label for one column, written once for the facts layer:
-- null where the row's grouping set groups the column away (pass grouping(column)),
-- 'unknown' for a group of cases whose value is not known (null), else the value as
-- text. Used by sql/facts/monthly_cells.sql and route_groups.sql.
create or replace macro grouped_value(grouped_away, value) as
    case when grouped_away = 0 then coalesce(value::varchar, 'unknown') end;
