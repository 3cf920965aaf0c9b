{#- (account_id, metric_date) is the contract's primary key (_marts__models.yml): no unique index here.
    A contract allows only append_new_columns or fail: a column added to the model and its contract is appended. -#}
{{
    config(
        materialized='incremental',
        unique_key=['account_id', 'metric_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['metric_date']}],
    )
}}

-- A daily run rebuilds its data day and the trailing days before it, so late and
-- restated rows replace what an earlier run built; a full build takes every day.
{% set data_day = var('data_day') %}

with

accepted as (
    select * from {{ ref('stg_raw__account_daily') }}
    {% if is_incremental() and data_day %}
    where metric_date between date '{{ data_day }}' - {{ var('trailing_days') }} and date '{{ data_day }}'
    {% endif %}
),

accounts as (
    select * from {{ ref('stg_registry__accounts') }}
),

-- one source per account and day; with a single source this is the identity
one_row_per_account_day as (
    select distinct on (account_id, metric_date) *
    from accepted
    order by account_id, metric_date, source, batch_id
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
    where exists (select 1 from accounts where accounts.account_id = one_row_per_account_day.account_id)
)

select * from final
