-- spend_resample: a Camden-format "Spend over £500" export drawn from the demo template.
-- inputs : template (the demo export: tpl_row 0-based, payment_date DATE, every other column
--          as text), draws (out_row, tpl_row, pence, bare: one row per output line, from numpy)
-- params : $last_date (the last payment date written, for the Latest* flags), $id_prefix
--          (text before every Unique Identifier: '' for Camden's own form, a borough's code
--          when several boroughs' files are loaded together and their ids must not collide)
-- output : a result set, Camden's 15 columns in file order
-- grain  : one row per draws.out_row, ordered by payment date
-- units  : Amount GBP as pounds with two decimals (draws.pence is integer pence)
with

drawn as (
    select
        d.out_row,
        d.bare,
        d.pence,
        t.*,
        year(t.payment_date) - cast(month(t.payment_date) < 4 as integer) as fy_start,
        row_number() over (
            partition by year(t.payment_date), month(t.payment_date) order by d.out_row
        ) as n_in_month
    from draws as d
    inner join template as t using (tpl_row)
),

last_fy as (
    select year($last_date) - cast(month($last_date) < 4 as integer) as fy_start
),

final as (
    select
        d."Organisation Label",
        d."Organisation URI",
        case
            when d.bare then strftime(d.payment_date, '%-d/%-m/%Y')
            else strftime(d.payment_date, '%d/%m/%Y')
        end as "Payment Date",
        month(d.payment_date) as "Payment Month",
        year(d.payment_date) as "Payment Year",
        d.fy_start::varchar || '/' || lpad(((d.fy_start + 1) % 100)::varchar, 2, '0')
            as "Financial Year",
        d."Beneficiary Name",
        d."Purpose",
        d."Organisational Unit",
        (d.pence // 100)::varchar || '.' || lpad((d.pence % 100)::varchar, 2, '0')
            as "Amount GBP",
        0 as "Irrecoverable VAT Amount GBP",
        case when d.fy_start = l.fy_start then 'Yes' else 'No' end as "Latest Financial Year",
        case when year(d.payment_date) = year($last_date) then 'Yes' else 'No' end
            as "Latest Year",
        case
            when year(d.payment_date) = year($last_date)
                and month(d.payment_date) = month($last_date) then 'Yes'
            else 'No'
        end as "Latest Month",
        $id_prefix || lower(strftime(d.payment_date, '%b')) || '-' || strftime(d.payment_date, '%y') || '-'
            || (d.n_in_month + 100)::varchar as "Unique Identifier",
        d.payment_date as sort_date,
        d.out_row as sort_row
    from drawn as d
    cross join last_fy as l
)

select * exclude (sort_date, sort_row) from final
order by sort_date, sort_row
