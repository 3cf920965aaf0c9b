{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}  {#- the days a daily build tests: macros/get_where_subquery.sql -#}
-- Accepted account-day metrics: rows of batches the audit accepted, minus the rows it quarantined.
with

landed as (
    select * from {{ source('raw', 'account_daily') }}
),

accepted_batches as (
    select batch_id, first_landed_at from {{ source('raw', 'batch_ledger') }}
    where status = 'accepted'
),

quarantined_rows as (
    select distinct batch_id, row_number from {{ source('raw', 'quarantine') }}
),

accepted as (
    select
        landed.*,
        accepted_batches.first_landed_at as batch_landed_at
    from landed
    inner join accepted_batches on landed.batch_id = accepted_batches.batch_id
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
        num_nonnulls(followers, posts, views, reach, likes, comments, shares, saves, angry, replies, replies_24h) > 0
            as has_values
    from accepted
)

select * from final
