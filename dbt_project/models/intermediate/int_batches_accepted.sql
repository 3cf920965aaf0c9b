-- The audit's outcome, once for every raw table: a batch counts when the audit accepted it.
-- 'landed' means not audited yet (every batch of every source is audited), 'rejected' failed
-- the audit, 'superseded' was replaced by a later batch of its source.
with

batches as (
    select * from {{ ref('stg_raw__batch_ledger') }}
),

final as (
    select
        batch_id,
        raw_table,
        source,
        data_day,
        first_landed_at
    from batches
    where status = 'accepted'
)

select * from final
