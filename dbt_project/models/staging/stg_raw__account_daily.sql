{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}
with

account_daily as (
    select * from {{ source('raw', 'account_daily') }}
),

final as (
    select
        batch_id,
        row_number,
        source,
        -- api:facebook -> api: the kind of source that the precedence rule ranks
        split_part(source, ':', 1) as source_kind,
        platform,
        account_id,
        metric_date,
        followers,
        posts,
        views,
        reach,
        likes,
        comments,
        shares,
        saves,
        angry,
        replies,
        replies_24h,
        no_value,
        -- a row of "no value" only (a failed pull, a day not yet published) reports nothing
        num_nonnulls(
            followers, posts, views, reach, likes, comments, shares, saves, angry, replies, replies_24h
        )
        > 0
            as has_values
    from account_daily
)

select * from final
