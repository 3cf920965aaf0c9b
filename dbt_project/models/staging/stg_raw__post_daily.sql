{#- the rows a daily build tests: macros/get_where_subquery.sql (from the first planned day on) -#}
{{ config(meta={'rebuilt_window': {'column': 'as_of_date', 'grain': 'since'}}) }}
with

post_daily as (
    select * from {{ source('raw', 'post_daily') }}
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
        post_id,
        as_of_date,
        published_at,
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
    from post_daily
)

select * from final
