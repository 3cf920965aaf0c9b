with

batch_ledger as (
    select * from {{ source('raw', 'batch_ledger') }}
),

final as (
    select
        batch_id,
        raw_table,
        source,
        data_day,
        status,
        rows_in,
        rows_accepted,
        rows_rejected,
        checksum,
        summary,
        first_landed_at,
        landed_at,
        audited_at,
        land_count
    from batch_ledger
)

select * from final
