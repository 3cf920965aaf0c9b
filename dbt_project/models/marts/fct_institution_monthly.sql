{#- (month, institution_id) is the contract's primary key (fct_institution_monthly.yml): no unique index here.
    A contract allows only append_new_columns or fail: a column added to the model and its contract is appended. -#}
{{
    config(
        meta={'rebuilt_window': {'column': 'month', 'grain': 'month'}},
        materialized='incremental',
        unique_key=['month', 'institution_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        tags=['monthly'],
        indexes=[
            {'columns': ['month', 'peer_group']},
            {'columns': ['month', 'province_code']},
            {'columns': ['institution_id']},
        ],
    )
}}

-- A daily run rebuilds only the months of its planned days (the current month, and the
-- previous one in the first days of a month), so its cost does not grow with history. The
-- monthly run (no planned days) rebuilds every month, so a back-dated registry change
-- reaches past months at the next month end.
{% set days = planned_days() %}

with

daily as (
    select * from {{ ref('int_account_days_by_institution') }}
    {% if is_incremental() and days %}
    -- a date, not date_trunc's timestamp: the fact's index on metric_date serves only a date
    where metric_date >= date_trunc('month', date '{{ days[0] }}')::date
    {% endif %}
),

institutions as (
    select * from {{ ref('dim_institutions') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

months as (
    select distinct date_trunc('month', metric_date)::date as month from daily
),

-- every institution that existed in a month with data, reported or not, in the version
-- valid at the end of the month (or when it ended), as rpt_institution_scores_monthly joins it
institution_versions as (
    {{ institution_versions_by_month('institutions', 'months') }}
),

institution_months as (
    select
        month,
        institution_id,
        institution_version_key,
        institution_name,
        peer_group,
        province_code,
        province_name
    from institution_versions
),

-- a day counts as reported when its row carries at least one value: a failed pull lands a
-- row whose metrics are all "no value"
reported_days as (
    select
        *,
        date_trunc('month', metric_date)::date as month
    from daily
    where
        coalesce(followers, posts, views, reach, likes, comments, shares, saves, angry, replies, replies_24h)
        is not null
),

account_months as (
    select
        institution_id,
        month,
        account_id,
        platform,
        count(*) as days_reported,
        -- the last level the account reported in the month (levels can be hidden on some days)
        (array_agg(followers order by metric_date desc) filter (where followers is not null))[1]
            as followers_at_month_end
    from reported_days
    group by institution_id, month, account_id, platform
),

-- the accounts the registry gave the institution at any time in the month: one that never
-- reported counts with 0 days in the coverage
registered_accounts as (
    select distinct
        institution_months.institution_id,
        institution_months.month,
        accounts.account_id
    from institution_months
    inner join accounts
        on institution_months.institution_id = accounts.institution_id
        and accounts.valid_from < institution_months.month + interval '1 month'
        and (accounts.valid_to is null or institution_months.month <= accounts.valid_to)
),

account_totals as (
    select
        institution_id,
        month,
        count(*) as accounts,
        count(distinct platform) as platforms,
        -- null when no account reported a level: "no value" is not 0 followers
        sum(followers_at_month_end) as followers_at_month_end,
        sum(days_reported) as account_days_reported
    from account_months
    group by institution_id, month
),

account_coverage as (
    select
        registered_accounts.institution_id,
        registered_accounts.month,
        count(*) as accounts_registered,
        avg(
            coalesce(account_months.days_reported, 0)::numeric
            / extract(day from registered_accounts.month + interval '1 month' - interval '1 day')
        ) as coverage
    from registered_accounts
    left join account_months
        on registered_accounts.institution_id = account_months.institution_id
        and registered_accounts.month = account_months.month
        and registered_accounts.account_id = account_months.account_id
    group by registered_accounts.institution_id, registered_accounts.month
),

-- sums over the days that carry the metric; null when no day of the month does
day_totals as (
    select
        institution_id,
        month,
        count(distinct metric_date) as days_reported,
        sum(posts) as posts,
        sum(views) as views,
        sum(interactions) as interactions,
        sum(comments) as comments,
        sum(replies_24h) as replies_24h
    from reported_days
    group by institution_id, month
),

final as (
    select
        institution_months.month,
        institution_months.institution_id,
        institution_months.institution_version_key,
        institution_months.institution_name,
        institution_months.peer_group,
        institution_months.province_code,
        institution_months.province_name,
        extract(day from institution_months.month + interval '1 month' - interval '1 day')::int
            as days_in_month,
        coalesce(account_coverage.accounts_registered, 0)::int as accounts_registered,
        coalesce(account_totals.accounts, 0)::int as accounts,
        coalesce(account_totals.platforms, 0)::int as platforms,
        account_totals.followers_at_month_end::bigint as followers_at_month_end,
        day_totals.posts::bigint as posts,
        day_totals.views::bigint as views,
        day_totals.interactions::bigint as interactions,
        day_totals.comments::bigint as comments,
        day_totals.replies_24h::bigint as replies_24h,
        -- share of the month's comments answered within 24 h; null without comments
        round(day_totals.replies_24h::numeric / nullif(day_totals.comments, 0), 4) as reply_share_24h,
        coalesce(day_totals.days_reported, 0)::int as days_reported,
        coalesce(account_totals.account_days_reported, 0)::int as account_days_reported,
        -- null when the institution had no account in the month: nothing to cover
        round(account_coverage.coverage::numeric, 4) as coverage
    from institution_months
    left join account_totals
        on institution_months.institution_id = account_totals.institution_id
        and institution_months.month = account_totals.month
    left join day_totals
        on institution_months.institution_id = day_totals.institution_id
        and institution_months.month = day_totals.month
    left join account_coverage
        on institution_months.institution_id = account_coverage.institution_id
        and institution_months.month = account_coverage.month
)

select * from final
