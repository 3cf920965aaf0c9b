{#- (month, institution_id, platform) is the contract's primary key
    (rpt_institution_platforms_monthly.yml): no unique index here. -#}
{{
    config(
        indexes=[
            {'columns': ['institution_id']},
        ],
    )
}}

-- One row per institution, platform and month: what the scorecard's per-platform table shows.
with

account_days as (
    select * from {{ ref('int_account_days_by_institution') }}
),

posts as (
    select * from {{ ref('fct_posts') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

-- a day counts as reported when its row carries a value (a failed pull lands an empty row)
reported_days as (
    select
        *,
        date_trunc('month', metric_date)::date as month
    from account_days
    where coalesce(followers, posts, views, likes, comments, replies, interactions) is not null
),

account_months as (
    select
        institution_id,
        platform,
        month,
        account_id,
        count(*) as days_reported,
        -- the first and last follower level the account reported in the month
        (array_agg(followers order by metric_date asc) filter (where followers is not null))[1]
            as followers_first,
        (array_agg(followers order by metric_date desc) filter (where followers is not null))[1]
            as followers_last,
        sum(posts) as posts,
        sum(comments) as comments,
        sum(replies) as replies
    from reported_days
    group by institution_id, platform, month, account_id
),

platform_months as (
    select
        institution_id,
        platform,
        month,
        count(*) as accounts,
        sum(days_reported) as account_days_reported,
        sum(followers_first) as followers_start,
        sum(followers_last) as followers_end,
        sum(posts) as posts,
        sum(comments) as comments,
        sum(replies) as replies
    from account_months
    group by institution_id, platform, month
),

-- posts published in the month by an account the institution held on that day
institution_posts as (
    select
        accounts.institution_id,
        posts.platform,
        date_trunc('month', posts.metric_date)::date as month,
        posts.interactions,
        posts.reply_latency_median_s
    from posts
    inner join accounts
        on posts.account_id = accounts.account_id
        and posts.metric_date >= accounts.valid_from
        and (accounts.valid_to is null or posts.metric_date <= accounts.valid_to)
),

post_medians as (
    select
        institution_id,
        platform,
        month,
        percentile_cont(0.5) within group (order by interactions) as median_interactions_per_post,
        percentile_cont(0.5) within group (order by reply_latency_median_s) as median_reply_time_s
    from institution_posts
    group by institution_id, platform, month
),

final as (
    select
        platform_months.month,
        platform_months.institution_id,
        platform_months.platform,
        platform_months.accounts::int as accounts,
        round(
            platform_months.account_days_reported::numeric
            / (
                platform_months.accounts
                * extract(day from platform_months.month + interval '1 month' - interval '1 day')
            ),
            4
        ) as coverage,
        platform_months.followers_start::bigint as followers_start,
        platform_months.followers_end::bigint as followers_end,
        (platform_months.followers_end - platform_months.followers_start)::bigint as followers_growth,
        platform_months.posts::bigint as posts,
        -- posts per 7 days of the month
        round(
            platform_months.posts::numeric * 7
            / extract(day from platform_months.month + interval '1 month' - interval '1 day'),
            2
        ) as posts_per_week,
        round(post_medians.median_interactions_per_post::numeric, 1) as median_interactions_per_post,
        -- null where the platform gives no replies (the account row carries none)
        round(platform_months.replies::numeric / nullif(platform_months.comments, 0), 4) as reply_rate,
        round(post_medians.median_reply_time_s::numeric, 0) as median_reply_time_s
    from platform_months
    left join post_medians
        on platform_months.institution_id = post_medians.institution_id
        and platform_months.platform = post_medians.platform
        and platform_months.month = post_medians.month
)

select * from final
