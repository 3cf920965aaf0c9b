{{ config(meta={'rebuilt_window': {'column': 'as_of_date'}}) }}  {#- the days a daily build tests: macros/get_where_subquery.sql -#}
-- Landed post snapshots: rows of post batches not rejected, minus quarantined rows.
-- Post batches are not audited yet (no post suite exists): they stay 'landed' in the ledger
-- and are taken as they are; once a suite exists, 'accepted' ones pass and rejected ones stay out.
with

landed as (
    select * from {{ source('raw', 'post_daily') }}
),

usable_batches as (
    select batch_id, first_landed_at from {{ source('raw', 'batch_ledger') }}
    where raw_table = 'raw.post_daily' and status in ('landed', 'accepted')
),

quarantined_rows as (
    select distinct batch_id, row_number from {{ source('raw', 'quarantine') }}
),

usable as (
    select
        landed.*,
        usable_batches.first_landed_at as batch_landed_at
    from landed
    inner join usable_batches on landed.batch_id = usable_batches.batch_id
    left join quarantined_rows
        on landed.batch_id = quarantined_rows.batch_id
        and landed.row_number = quarantined_rows.row_number
    where quarantined_rows.batch_id is null
),

final as (
    select
        batch_id,
        batch_landed_at,
        source,
        split_part(source, ':', 1) as source_kind,
        platform,
        account_id,
        post_id,
        as_of_date,
        published_at,
        -- the metric day the post belongs to, by the platform's day boundary
        {{ metric_day_of('platform', 'published_at') }} as published_date,
        post_type,
        views,
        reach,
        likes,
        comments,
        shares,
        saves,
        angry,
        replies,
        replies_24h,
        reply_latency_median_s,
        no_value
    from usable
)

select * from final
