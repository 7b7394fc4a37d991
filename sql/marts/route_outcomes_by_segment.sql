-- route_outcomes split by one segment at a time: one row per segment, segment
-- value and route. Unknown (null) values form an explicit 'unknown' group, which
-- every segment lists (with zeros when nothing is unknown); every route is listed
-- for every value seen. The segment list is contract.SEGMENTS (checked by a test).
-- Speed (benchmarks/stats.py): one pass over case_facts with grouping sets (route +
-- each segment) over the raw columns, which only counts and collects quantiles; the
-- labels ('unknown', text) are made on the few grouped rows, not per case (cheaper
-- than labelling every case, and than unpivoting the cases tenfold); the small result
-- is unpivoted afterwards, and the routes come from it rather than from another scan.
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

-- in each grouping set every segment column but one is grouped away (grouping() = 1);
-- a null in the column kept is an unknown value
grouped_by_set as (
    select
        route,
        case when grouping(source) = 0 then coalesce(source, 'unknown') end as source,
        case when grouping(product) = 0 then coalesce(product::varchar, 'unknown') end as product,
        case when grouping(channel) = 0 then coalesce(channel::varchar, 'unknown') end as channel,
        case when grouping(overdue_bucket) = 0
             then coalesce(overdue_bucket::varchar, 'unknown') end as overdue_bucket,
        case when grouping(prior_overdues_bucket) = 0
             then coalesce(prior_overdues_bucket::varchar, 'unknown') end
            as prior_overdues_bucket,
        case when grouping(documents_submitted) = 0
             then coalesce(documents_submitted::varchar, 'unknown') end as documents_submitted,
        case when grouping(hardship_reason) = 0
             then coalesce(hardship_reason::varchar, 'unknown') end as hardship_reason,
        case when grouping(broke_prior_agreement) = 0
             then coalesce(broke_prior_agreement::varchar, 'unknown') end
            as broke_prior_agreement,
        case when grouping(age_band) = 0 then coalesce(age_band::varchar, 'unknown') end
            as age_band,
        case when grouping(region) = 0 then coalesce(region, 'unknown') end as region,
        outcome_facts_summary(
            is_approved, is_partial, is_rejected, is_withdrawn, is_pending,
            plan_broken, plan_known, days_to_decision, waived, km_observation
        ) as stats
    from case_facts
    group by grouping sets (
        (route, source), (route, product), (route, channel), (route, overdue_bucket),
        (route, prior_overdues_bucket), (route, documents_submitted),
        (route, hardship_reason), (route, broke_prior_agreement), (route, age_band),
        (route, region)
    )
),

-- unpivot drops the null segment columns, leaving one row per group
grouped as (
    unpivot grouped_by_set
    on source, product, channel, overdue_bucket, prior_overdues_bucket,
        documents_submitted, hardship_reason, broke_prior_agreement, age_band, region
    into name segment value segment_value
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
    select route, segment, segment_value, stats from grouped
    union all
    select route, segment, segment_value, empty_outcome_summary() as stats from missing_groups
),

final as (
    select all_groups.route, all_groups.segment, all_groups.segment_value, unnest(all_groups.stats)
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
