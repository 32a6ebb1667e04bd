-- 01e_stg_contracts: parse and validate every row of the contracts register.
-- inputs : raw_contracts (text as read, one row per register row; registered by
--          placespend.ingest for placespend's own columns, or placespend.contracts for a
--          register read through a contracts mapping), the macros of 00_ingest_macros
-- params : $date_formats (VARCHAR[], strptime formats tried in order),
--          $earliest_year, $latest_year (plausible contract years),
--          $value_basis ('annual': the value is a yearly one; 'total': over the contract),
--          $id_label, $supplier_label, $value_label, $start_label, $end_label (how messages
--          name those columns: placespend's names, or the register's own)
-- reader_problem (from the reader: an unknown service or place, no service) comes first.
-- output : stg_contracts (temporary); problem is NULL for a valid row, else every problem of
--          the row with its fix, joined by '; '
-- grain  : one row per register row (source_row)
-- units  : annual_value_pence, value_pence integer pence; dates DATE
create or replace temp table stg_contracts as
with

raw as (
    select * from raw_contracts
),

cleaned as (
    select
        source_file,
        source_row,
        nullif(ps_trim(contract_id), '') as contract_id,
        nullif(ps_trim(title), '') as title,
        nullif(ps_trim(description), '') as description,
        nullif(ps_trim(supplier), '') as supplier,
        nullif(ps_trim(department), '') as department,
        nullif(ps_trim(service), '') as service_id,
        nullif(ps_trim(purpose), '') as purpose,
        lower(nullif(ps_trim(scope_type), '')) as scope_type,
        nullif(ps_trim(scope_code), '') as scope_code,
        nullif(ps_trim(value_text), '') as value_text,
        nullif(ps_trim(start_date), '') as start_text,
        nullif(ps_trim(end_date), '') as end_text,
        service_source,
        reader_problem,
        raw
    from raw
),

parsed as (
    select
        *,
        ps_amount_problem(value_text) as value_problem,
        ps_amount_pence(value_text) as value_pence,
        cast(try_strptime(start_text, $date_formats) as date) as start_date,
        cast(try_strptime(end_text, $date_formats) as date) as end_date,
        count(*) over (partition by contract_id) as id_count,
        min(source_row) over (partition by contract_id) as id_first_row
    from cleaned
),

problems as (
    select
        *,
        [
            reader_problem,
            case when contract_id is null then
                format('{} is blank: give every contract a unique id', $id_label) end,
            case when contract_id is not null and id_count > 1 and source_row > id_first_row
                then format('{} ''{}'' repeats row {}: give each contract its own id',
                            $id_label, contract_id, id_first_row) end,
            case when supplier is null then
                format('{} is blank: name the supplier as it appears in the spend file',
                       $supplier_label) end,
            case when service_id is null and purpose is null and reader_problem is null then
                'service and purpose are both blank: give a catalogue service id or the '
                || 'Purpose text the payments carry' end,
            case when scope_type is null or scope_type not in ('borough', 'ward', 'estate')
                then format('scope_type ''{}'' is not borough, ward or estate',
                            coalesce(scope_type, '')) end,
            case when scope_type in ('ward', 'estate') and scope_code is null then
                case scope_type
                    when 'ward' then 'scope_code is blank: a ward contract needs the ward '
                        || 'code it covers'
                    else 'scope_code is blank: an estate contract needs the estate id it covers'
                end end,
            case when value_text is not null and value_problem is not null then
                format('{}: {}', $value_label, value_problem) end,
            case when value_pence < 0 then
                format('{} is negative: give the {} value as a positive amount', $value_label,
                       case $value_basis when 'annual' then 'yearly' else 'contract''s' end)
                end,
            case when start_text is not null and (start_date is null
                or year(start_date) not between $earliest_year and $latest_year) then
                format('{} ''{}'' is not a date: write 2024-04-01 or 01/04/2024',
                       $start_label, start_text) end,
            case when end_text is not null and (end_date is null
                or year(end_date) not between $earliest_year and $latest_year) then
                format('{} ''{}'' is not a date: write 2025-03-31 or 31/03/2025',
                       $end_label, end_text) end,
            case when end_date < start_date then
                format('{} {} is before {} {}: swap or correct them',
                       $end_label, end_date, $start_label, start_date) end
        ] as checks
    from parsed
),

final as (
    select
        source_file,
        source_row,
        contract_id,
        title,
        description,
        supplier,
        ps_payee_key(supplier) as supplier_key,
        department,
        service_id,
        purpose,
        scope_type,
        scope_code,
        case when $value_basis = 'annual' then value_pence end as annual_value_pence,
        value_pence,
        $value_basis as value_basis,
        value_text,
        start_date,
        end_date,
        service_source,
        raw,
        nullif(array_to_string(list_filter(checks, lambda c: c is not null), '; '), '')
            as problem
    from problems
)

select * from final
order by source_row;
