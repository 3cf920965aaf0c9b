-- Type 2: one row per account, institution and period. An account shared by two
-- institutions has a row for each; a renamed handle ends one row and starts the next.
with

accounts as (
    select * from {{ ref('stg_registry__accounts') }}
),

final as (
    select
        md5(account_id || '|' || institution_id || '|' || valid_from::text) as account_version_key,
        account_id,
        institution_id,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        platform,
        handle,
        platform_account_id,
        verified_on,
        is_demo,
        recorded_at,
        recorded_by
    from accounts
)

select * from final
