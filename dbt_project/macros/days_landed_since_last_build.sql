{#- The days an incremental daily model must rebuild beyond its trailing window: those of
    the batches whose rows reached (or changed their state in) the raw table since the model
    was last built. A file dropped for a day months back thus reaches the mart with the next
    daily run, not only with a full build.

    "Since the last build" is read from the ledger, not from a clock of the build: the
    latest landing or audit time of the batches the model already holds (its batch_id
    column). The hour before it is looked at too, for the batches the model does not hold
    yet: one audited while that build ran is taken then rather than missed. The batches of
    that hour it holds are not taken again: when days land minutes apart (`make run`), each
    run would otherwise rebuild every day landed in the hour before it. kinerja.pipeline
    (publish_day) applies the same rule to the published table to choose what it publishes.

    Only the model's rows from `held_since` on are read for that: the batches behind its
    recent days are its latest, and reading every row would make each daily run slower as
    history grows (bench/warehouse_history.py). Should an older day hold a later batch, its
    days are taken once more: rebuilt to the same rows. Only when the model holds no row
    from `held_since` on (no daily run for longer than the trailing window) are all its
    rows read.

    raw_relation: the raw table; day_expression: a day of its rows, as the model's day column;
    held_since: SQL for the first metric_date of the model's rows to read. -#}
{% macro days_landed_since_last_build(raw_relation, day_expression, held_since) %}
    -- `= any(array(...))` rather than `in (...)`: the planner cannot know how few batches
    -- that is, and with `in` it scans the whole raw table instead of its batch_id index
    select distinct {{ day_expression }}
    from {{ raw_relation }} as landed
    where landed.batch_id = any(array(
        select ledger.batch_id
        from {{ source('raw', 'batch_ledger') }} as ledger
        cross join (
            select
                recent.batch_ids as recently_held,
                coalesce(
                    (
                        select max(coalesce(built.audited_at, built.landed_at))
                        from {{ source('raw', 'batch_ledger') }} as built
                        where built.batch_id = any(recent.batch_ids)
                    ),
                    -- no rows since then (the daily runs stopped for longer than that): all
                    -- its rows; PostgreSQL runs this subquery only when the first finds nothing
                    (
                        select max(coalesce(built.audited_at, built.landed_at))
                        from {{ source('raw', 'batch_ledger') }} as built
                        where built.batch_id = any(array(select distinct held.batch_id from {{ this }} as held))
                    ),
                    -- an empty model: every batch
                    '-infinity'
                ) as built_until
            from (
                select array(
                    select distinct held.batch_id from {{ this }} as held where held.metric_date >= {{ held_since }}
                ) as batch_ids
            ) as recent
        ) as last_build
        where coalesce(ledger.audited_at, ledger.landed_at) >= last_build.built_until - interval '1 hour'
            and not (
                coalesce(ledger.audited_at, ledger.landed_at) < last_build.built_until
                and ledger.batch_id = any(last_build.recently_held)
            )
    ))
{% endmacro %}

{% macro days_to_build(raw_relation, day_expression) %}
    {%- set data_day = "date '" ~ var('data_day') ~ "'" -%}
    select day::date as day_to_build
    from generate_series({{ data_day }} - {{ var('trailing_days') }}, {{ data_day }}, interval '1 day') as day
    union
    {{ days_landed_since_last_build(raw_relation, day_expression, data_day ~ ' - ' ~ var('trailing_days')) }}
{% endmacro %}
