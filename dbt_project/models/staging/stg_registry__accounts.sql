with

accounts as (
    select * from {{ source('registry', 'accounts') }}
),

final as (
    select
        account_id,
        institution_id,
        platform,
        handle,
        platform_account_id,
        valid_from,
        valid_to,
        is_demo
    from accounts
)

select * from final
