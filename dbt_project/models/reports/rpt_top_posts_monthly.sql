{#- (month, account_id, post_id) is the contract's primary key (rpt_top_posts_monthly.yml):
    no unique index here.
    A contract allows only append_new_columns or fail: a column added to the model and its contract is appended.
    The indexes: a month's best posts are read walking from the most interactions down, the
    nation's by month and a province role's by its province first. Row security compares
    province_code, a column of the row, with the role's province (a leakproof equality): the
    walk reads only the province's rows, as many as the nation's walk reads. -#}
{{
    config(
        meta={'rebuilt_window': {'column': 'month', 'grain': 'month'}},
        materialized='incremental',
        unique_key=['month'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        tags=['daily', 'monthly'],
        indexes=[
            {'columns': ['month', 'interactions desc', 'account_id', 'post_id']},
            {'columns': ['province_code', 'month', 'interactions desc', 'account_id', 'post_id']},
        ],
    )
}}

-- The best posts of each month by interactions, the top_posts_per_province of each province
-- and as many of the central institutions' accounts: the nation's best are among them, each
-- post once. A daily run rebuilds the months of its planned days (delete+insert by month:
-- a post that fell out of a month's list goes); the monthly run rebuilds every month, so a
-- registry change that gives an account another province or handle reaches past months at
-- the next month end (as fct_institution_monthly).
{% set days = planned_days() %}

with

posts as (
    select * from {{ ref('fct_posts') }}
    where interactions is not null
    {% if is_incremental() and days %}
        -- a date, not date_trunc's timestamp: the fact's index on metric_date serves only a date
        and metric_date >= date_trunc('month', date '{{ days[0] }}')::date
    {% endif %}
),

-- an account's handle and province (null: central institutions only), one row per account
accounts as (
    select * from {{ ref('dim_official_accounts') }}
),

ranked as (
    select
        date_trunc('month', posts.metric_date)::date as month,
        accounts.province_code,
        posts.account_id,
        posts.post_id,
        posts.platform,
        accounts.handle,
        posts.metric_date as post_date,
        posts.post_type,
        posts.interactions,
        posts.views,
        posts.engagement_per_follower,
        row_number() over (
            partition by date_trunc('month', posts.metric_date), accounts.province_code
            order by posts.interactions desc, posts.account_id asc, posts.post_id asc
        ) as rank_in_province
    from posts
    inner join accounts on posts.account_id = accounts.account_id
),

final as (
    select
        month,
        province_code,
        account_id,
        post_id,
        platform,
        handle,
        post_date,
        post_type,
        interactions,
        views,
        engagement_per_follower,
        rank_in_province::int as rank_in_province
    from ranked
    where rank_in_province <= {{ var('top_posts_per_province') }}
)

select * from final
