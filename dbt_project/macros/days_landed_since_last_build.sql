{#- The days an incremental daily model must rebuild beyond its trailing window: those of
    the batches whose rows reached (or changed their state in) the raw table since the model
    was last built. A file dropped for a day months back thus reaches the mart with the next
    daily run, not only with a full build.

    "Since the last build" is read from the ledger, not from a clock of the build: the
    latest landing or audit time of the batches the model already holds (its batch_id
    column), less an hour, so that a batch audited while that build ran is taken again
    rather than missed. Days taken twice are rebuilt to the same rows. kinerja.pipeline
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
        where coalesce(ledger.audited_at, ledger.landed_at) >= coalesce(
            {{ _latest_batch_held('held.metric_date >= ' ~ held_since) }},
            -- no rows since then (the daily runs stopped for longer than that): all its rows;
            -- PostgreSQL runs this subquery only when the first one finds nothing
            {{ _latest_batch_held('true') }},
            -- an empty model: every batch
            '-infinity'
        ) - interval '1 hour'
    ))
{% endmacro %}

{% macro _latest_batch_held(held_filter) %}
    (
        select max(coalesce(built.audited_at, built.landed_at))
        from {{ source('raw', 'batch_ledger') }} as built
        where built.batch_id = any(array(
            select distinct held.batch_id from {{ this }} as held where {{ held_filter }}
        ))
    )
{% endmacro %}

{#- The days an incremental daily model rebuilds (column `day_to_build`): the build's data day
    and its trailing days, and the days of the batches landed since the model was last built.
    raw_relation and day_expression as for days_landed_since_last_build. -#}
{% macro days_to_build(raw_relation, day_expression) %}
    {%- set data_day = "date '" ~ var('data_day') ~ "'" -%}
    select day::date as day_to_build
    from generate_series({{ data_day }} - {{ var('trailing_days') }}, {{ data_day }}, interval '1 day') as day
    union
    {{ days_landed_since_last_build(raw_relation, day_expression, data_day ~ ' - ' ~ var('trailing_days')) }}
{% endmacro %}

{#- The metric day of a platform's timestamp: the date in the zone of the platform's own
    daily buckets (kinerja.sources.base.PLATFORM_DAY_ZONE, the seed platforms). -#}
{% macro metric_day_of(platform, moment) %}
    ({{ moment }} at time zone case
        when {{ platform }} in ('facebook', 'instagram', 'youtube') then 'America/Los_Angeles'
        else 'Asia/Jakarta'
    end)::date
{% endmacro %}
