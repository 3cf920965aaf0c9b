{#- (account_id, post_id) is the contract's primary key (fct_posts.yml): no unique index here.
    A contract allows only append_new_columns or fail: a column added to the model and its contract is appended.
    The index on interactions: a period's top posts (a week's, say) are found walking from the most
    interactions down, not by sorting the period. Its last column, metric_date, lets the walk check the
    period in the index: only the period's posts are read from the table. A month's best, also by
    province, are in rpt_top_posts_monthly. -#}
{{
    config(
        meta={'rebuilt_window': {'column': 'metric_date'}},
        materialized='incremental',
        unique_key=['account_id', 'post_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['metric_date']},
            {'columns': ['interactions desc', 'account_id', 'post_id', 'metric_date']},
        ],
    )
}}

-- A daily run rebuilds the posts of the days planned for it (planned_days: the post days
-- of its data day, its trailing days and of every post batch audited since the last
-- publish, e.g. a Meta posts export carrying old posts); a full build takes every post.
-- A rebuilt post takes all its snapshots.
{% set days = planned_days() %}

with

snapshots as (
    select
        *,
        -- a post without a publication time counts on the day it was first seen
        coalesce(published_date, as_of_date) as post_day
    from {{ ref('int_posts_accepted') }}
    {% if is_incremental() and days %}
    -- A post is seen on or after its day: its snapshots are no older than the first day
    -- to build (less one, for a platform whose day ends before Jakarta's). A bound the
    -- raw table's as_of_date index can use: matching the days alone would read all history.
    where as_of_date >= date '{{ days[0] }}' - 1
    {% endif %}
),

{% if is_incremental() and days %}
posts_to_build as (
    select distinct account_id, post_id
    from snapshots
    where post_day = any({{ planned_days_array() }})
),

snapshots_to_build as (
    select snapshots.*
    from snapshots
    inner join posts_to_build
        on snapshots.account_id = posts_to_build.account_id
        and snapshots.post_id = posts_to_build.post_id
),

-- A post without a publication time keeps the day it was first seen, which can be older
-- than the snapshots read above: the day the table holds for it already.
held_days as (
    select held.account_id, held.post_id, held.metric_date as post_day
    from {{ this }} as held
    inner join posts_to_build
        on held.account_id = posts_to_build.account_id
        and held.post_id = posts_to_build.post_id
),
{% else %}
snapshots_to_build as (
    select * from snapshots
),
{% endif %}

precedence as (
    select * from {{ ref('source_precedence') }}
),

accounts as (
    select * from {{ ref('stg_registry__accounts') }}
),

account_days as (
    select
        account_id,
        metric_date,
        followers
    from {{ ref('fct_account_daily') }}
),

-- the post's first observation decides its day when it has no publication time
first_seen as (
    select
        account_id,
        post_id,
        min(post_day) as post_day
    from (
        select
            account_id,
            post_id,
            post_day
        from snapshots_to_build
        {% if is_incremental() and days %}
        union all
        select account_id, post_id, post_day from held_days
        {% endif %}
    ) as observed
    group by account_id, post_id
),

-- the latest observation of each post (lifetime totals only grow); on the same as-of day
-- the source first by precedence, then its latest batch
latest as (
    select distinct on (snapshots_to_build.account_id, snapshots_to_build.post_id) snapshots_to_build.*
    from snapshots_to_build
    left join precedence on snapshots_to_build.source_kind = precedence.source_kind
    order by
        snapshots_to_build.account_id asc,
        snapshots_to_build.post_id asc,
        snapshots_to_build.as_of_date desc,
        coalesce(precedence.precedence, 999),
        snapshots_to_build.batch_landed_at desc,
        snapshots_to_build.batch_id desc
),

with_day as (
    select
        latest.*,
        coalesce(latest.published_date, first_seen.post_day) as metric_date,
        latest.likes + latest.comments + latest.shares + coalesce(latest.saves, 0) as interactions
    from latest
    inner join first_seen
        on latest.account_id = first_seen.account_id
        and latest.post_id = first_seen.post_id
),

final as (
    select
        with_day.account_id,
        with_day.post_id,
        with_day.platform,
        with_day.metric_date,
        with_day.published_at,
        with_day.post_type,
        with_day.as_of_date,
        (with_day.as_of_date - with_day.metric_date)::int as days_observed,
        with_day.source,
        with_day.batch_id,
        with_day.views::bigint as views,
        with_day.reach::bigint as reach,
        with_day.likes::bigint as likes,
        with_day.comments::bigint as comments,
        with_day.shares::bigint as shares,
        with_day.saves::bigint as saves,
        with_day.angry::bigint as angry,
        with_day.replies::bigint as replies,
        with_day.replies_24h::bigint as replies_24h,
        with_day.reply_latency_median_s::numeric as reply_latency_median_s,
        with_day.interactions::bigint as interactions,
        account_days.followers::bigint as followers_at_posting,
        -- per follower: comparable across audiences; unknown without a follower level
        with_day.interactions::numeric / nullif(account_days.followers, 0) as engagement_per_follower
    from with_day
    left join account_days
        on with_day.account_id = account_days.account_id
        and with_day.metric_date = account_days.metric_date
    -- only accounts the registry knows, as in fct_account_daily
    where exists (
        select 1 from accounts
        where accounts.account_id = with_day.account_id
    )
)

select * from final
