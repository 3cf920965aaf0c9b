-- One row per official account: what a query builder joins a fact to. Its institutions,
-- with their periods, are in the bridge dim_accounts.
with

accounts as (
    select * from {{ ref('stg_registry__accounts') }}
),

-- the latest version of each account gives its handle (a renamed handle ends a version)
latest as (
    select distinct on (account_id)
        account_id,
        platform,
        handle,
        platform_account_id,
        is_demo
    from accounts
    order by account_id asc, valid_from desc, institution_id asc
),

institution_provinces as (
    select * from {{ ref('int_institution_provinces') }}
),

periods as (
    select
        accounts.account_id,
        min(accounts.valid_from) as first_valid_from,
        -- null while any version still holds
        case when bool_and(accounts.valid_to is not null) then max(accounts.valid_to) end as last_valid_to,
        count(distinct accounts.institution_id) filter (where accounts.valid_to is null) as institutions_now,
        count(distinct accounts.institution_id) as institutions_ever,
        -- the registry audit keeps an account's institutions within one province: at most one
        max(institution_provinces.province_code) as province_code
    from accounts
    left join institution_provinces on accounts.institution_id = institution_provinces.institution_id
    group by accounts.account_id
),

final as (
    select
        latest.account_id,
        latest.platform,
        latest.handle,
        latest.platform_account_id,
        periods.first_valid_from,
        periods.last_valid_to,
        periods.last_valid_to is null as is_current,
        periods.institutions_now::int as institutions_now,
        periods.institutions_ever::int as institutions_ever,
        periods.institutions_now > 1 as is_shared_now,
        latest.is_demo,
        periods.province_code
    from latest
    inner join periods on latest.account_id = periods.account_id
)

select * from final
