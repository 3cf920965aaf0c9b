{#- The rows of a staged raw table that reached the warehouse: those of batches the audit
    accepted (int_batches_accepted), minus the rows it quarantined (int_batch_rows_quarantined),
    each with its batch's first landing time. The one rule for account days and posts alike.

    staged: the staging relation of the raw table; raw_table: its name in raw.batch_ledger. -#}
{% macro accepted_rows_of(staged, raw_table) %}
    select
        staged.*,
        accepted_batches.first_landed_at as batch_landed_at
    from {{ staged }} as staged
    inner join {{ ref('int_batches_accepted') }} as accepted_batches
        on
            staged.batch_id = accepted_batches.batch_id
            and accepted_batches.raw_table = '{{ raw_table }}'
    left join {{ ref('int_batch_rows_quarantined') }} as quarantined_rows
        on
            staged.batch_id = quarantined_rows.batch_id
            and staged.row_number = quarantined_rows.row_number
    where quarantined_rows.batch_id is null
{% endmacro %}
