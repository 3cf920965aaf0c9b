-- Type 2: one row per account, institution and period. An account shared by two
-- institutions has a row for each; a renamed handle ends one row and starts the next.
with

accounts as (
    select * from {{ ref('stg_registry__accounts') }}
),

institution_provinces as (
    select * from {{ ref('int_institution_provinces') }}
),

final as (
    select
        md5(
            accounts.account_id || '|' || accounts.institution_id || '|' || accounts.valid_from::text
        ) as account_version_key,
        accounts.account_id,
        accounts.institution_id,
        accounts.valid_from,
        accounts.valid_to,
        accounts.valid_to is null as is_current,
        accounts.platform,
        accounts.handle,
        accounts.platform_account_id,
        accounts.verified_on,
        accounts.is_demo,
        accounts.recorded_at,
        accounts.recorded_by,
        institution_provinces.province_code
    from accounts
    left join institution_provinces on accounts.institution_id = institution_provinces.institution_id
)

select * from final
