-- route_outcomes split by one segment at a time: one row per segment, segment
-- value and route. Unknown (null) values form an explicit 'unknown' group, which
-- every segment lists (with zeros when nothing is unknown); every route is listed
-- for every value seen. The segment list is contract.SEGMENTS (checked by a test).
-- The figures are the facts layer's route_groups rows grouped by a segment (one
-- pass over case_facts shared with the other route_outcomes marts); the routes and
-- values come from them rather than from another scan of cases.
with

segments as (
    select * from (values
        ('source', 1),
        ('product', 2),
        ('channel', 3),
        ('overdue_bucket', 4),
        ('prior_overdues_bucket', 5),
        ('documents_submitted', 6),
        ('hardship_reason', 7),
        ('broke_prior_agreement', 8),
        ('age_band', 9),
        ('region', 10)
    ) as t (segment, position)
),

grouped as (
    select route, grouped_by as segment, segment_value,
           * exclude (route, grouped_by, month, segment_value)
    from route_groups
    where grouped_by not in ('route', 'month')
),

-- every route with a case is in every grouping set
all_routes as (
    select route from routes
    union
    select distinct route from grouped
),

-- groups with no case: every route for every value seen, and 'unknown' everywhere
missing_groups as (
    select values_seen.segment, values_seen.segment_value, all_routes.route
    from (
        select distinct segment, segment_value from grouped
        union
        select segment, 'unknown' from segments
    ) as values_seen
    cross join all_routes
    anti join grouped
        on grouped.segment = values_seen.segment
        and grouped.segment_value = values_seen.segment_value
        and grouped.route = all_routes.route
),

all_groups as (
    select * from grouped
    union all by name
    select route, segment, segment_value, unnest(empty_outcome_summary()) from missing_groups
),

final as (
    select all_groups.*
    from all_groups
    left join segments on segments.segment = all_groups.segment
    left join routes on routes.route = all_groups.route
    order by
        segments.position,
        all_groups.segment_value = 'unknown',
        all_groups.segment_value,
        routes.position nulls last,
        all_groups.route
)

select * from final
