{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}
-- Each account-day counted for every institution that the registry says held the account
-- on that day: a shared account counts for each of its institutions, and after a split
-- an account's days count for its predecessor up to the split and for its successor after.
with

daily as (
    select * from {{ ref('fct_account_daily') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

final as (
    select
        daily.account_id,
        accounts.institution_id,
        daily.metric_date,
        daily.platform,
        daily.followers,
        daily.posts,
        daily.views,
        daily.reach,
        daily.likes,
        daily.comments,
        daily.shares,
        daily.saves,
        daily.angry,
        daily.replies,
        daily.replies_24h,
        daily.interactions
    from daily
    inner join accounts
        on daily.account_id = accounts.account_id
        and daily.metric_date >= accounts.valid_from
        and (accounts.valid_to is null or daily.metric_date <= accounts.valid_to)
)

select * from final
