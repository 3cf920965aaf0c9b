with

accounts as (
    select * from {{ source('registry', 'accounts') }}
),

final as (
    select
        account_id,
        institution_id,
        valid_from,
        valid_to,
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
