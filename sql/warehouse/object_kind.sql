-- Whether a built layer's name is already a table or a view ('BASE TABLE', 'VIEW';
-- no row when it does not exist yet).
with

final as (
    select table_type
    from information_schema.tables
    where table_schema = 'main' and table_name = $name
)

select * from final
