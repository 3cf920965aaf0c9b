{#- (account_id, metric_date) is the contract's primary key (fct_account_daily.yml): no unique index here.
    A contract allows only append_new_columns or fail: a column added to the model and its contract is appended. -#}
{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'metric_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['metric_date']}],
        meta={'rebuilt_window': {'column': 'metric_date'}},
    )
}}

-- A daily run rebuilds the days planned for it (planned_days: its data day and trailing
-- days, so late and restated rows replace what an earlier run built, and every day of the
-- batches audited since the last publish); a full build takes every day.
{% set days = planned_days() %}

with

accepted as (
    select * from {{ ref('int_account_days_accepted') }}
    {% if is_incremental() and days %}
    -- the first day too, as a bound the raw table's metric_date index can use
    where metric_date >= date '{{ days[0] }}'
        and metric_date = any({{ planned_days_array() }})
    {% endif %}
),

accounts as (
    select * from {{ ref('stg_registry__accounts') }}
),

precedence as (
    select * from {{ ref('source_precedence') }}
),

-- One source per account and day (seed source_precedence): the first source, by
-- precedence, whose row reports any value; within a source, its latest batch. The winner
-- gives every metric of the day: a metric it has no value for is not filled from the next
-- source (docs/architecture.md, "Sources of one account-day").
one_row_per_account_day as (
    select distinct on (accepted.account_id, accepted.metric_date) accepted.*
    from accepted
    left join precedence on accepted.source_kind = precedence.source_kind
    order by
        accepted.account_id asc,
        accepted.metric_date asc,
        accepted.has_values desc,
        -- a source missing from the seed comes last (and fails the staging test)
        coalesce(precedence.precedence, 999),
        accepted.batch_landed_at desc,
        accepted.batch_id desc
),

final as (
    select
        one_row_per_account_day.account_id,
        one_row_per_account_day.metric_date,
        one_row_per_account_day.platform,
        one_row_per_account_day.source,
        one_row_per_account_day.batch_id,
        one_row_per_account_day.followers,
        one_row_per_account_day.posts,
        one_row_per_account_day.views,
        one_row_per_account_day.reach,
        one_row_per_account_day.likes,
        one_row_per_account_day.comments,
        one_row_per_account_day.shares,
        one_row_per_account_day.saves,
        one_row_per_account_day.angry,
        one_row_per_account_day.replies,
        one_row_per_account_day.replies_24h,
        -- interactions: saves count where the platform reports them
        one_row_per_account_day.likes + one_row_per_account_day.comments
        + one_row_per_account_day.shares + coalesce(one_row_per_account_day.saves, 0) as interactions
    from one_row_per_account_day
    -- only accounts the registry knows; which institution a day counts for is decided
    -- by the registry's periods, downstream (int_account_days_by_institution)
    where exists (
        select 1 from accounts
        where accounts.account_id = one_row_per_account_day.account_id
    )
)

select * from final
