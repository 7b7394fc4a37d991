-- The versions of the migrations already applied.
with

final as (
    select version from schema_migrations
)

select * from final
