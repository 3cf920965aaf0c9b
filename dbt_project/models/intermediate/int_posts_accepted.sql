{#- the rows a daily build tests: macros/get_where_subquery.sql (from the first planned day on) -#}
{{ config(meta={'rebuilt_window': {'column': 'as_of_date', 'grain': 'since'}}) }}
-- Accepted post snapshots: rows of post batches the audit accepted, minus the rows it
-- quarantined (macros/accepted_rows_of.sql, as for account days), with each post's metric day.
with

posts as (
    {{ accepted_rows_of(ref('stg_raw__post_daily'), 'raw.post_daily') }}
),

final as (
    select
        posts.batch_id,
        posts.row_number,
        posts.batch_landed_at,
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
)

select * from final
