{#- the rows a daily build tests: macros/get_where_subquery.sql (from the first planned day on) -#}
{{ config(meta={'rebuilt_window': {'column': 'as_of_date', 'grain': 'since'}}) }}
-- Accepted post snapshots: rows of post batches the audit accepted, minus the rows it
-- quarantined (the same rule as int_account_days_accepted), with each post's metric day.
with

posts as (
    select * from {{ ref('stg_raw__post_daily') }}
),

accepted_batches as (
    select * from {{ ref('int_batches_accepted') }}
    where raw_table = 'raw.post_daily'
),

quarantined_rows as (
    select * from {{ ref('int_batch_rows_quarantined') }}
),

final as (
    select
        posts.batch_id,
        posts.row_number,
        accepted_batches.first_landed_at as batch_landed_at,
        posts.source,
        posts.source_kind,
        posts.platform,
        posts.account_id,
        posts.post_id,
        posts.as_of_date,
        posts.published_at,
        -- the metric day the post belongs to, by the platform's day boundary
        {{ metric_day_of('posts.platform', 'posts.published_at') }} as published_date,
        posts.post_type,
        posts.views,
        posts.reach,
        posts.likes,
        posts.comments,
        posts.shares,
        posts.saves,
        posts.angry,
        posts.replies,
        posts.replies_24h,
        posts.reply_latency_median_s,
        posts.no_value
    from posts
    inner join accepted_batches on posts.batch_id = accepted_batches.batch_id
    left join quarantined_rows
        on posts.batch_id = quarantined_rows.batch_id
        and posts.row_number = quarantined_rows.row_number
    where quarantined_rows.batch_id is null
)

select * from final
