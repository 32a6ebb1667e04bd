-- borough_template: the demo template of benchmarks/data.py as one London borough's export.
-- inputs : template_csv (the demo export, every column as text)
-- params : $label (Organisation Label), $uri (Organisation URI), $tag (text put before every
--          payee that is not redacted or blank, the same tag as the borough's contracts carry)
-- output : a result set, the template's 15 columns in file order
-- grain  : one row per template row, in file order
-- units  : none changed (Amount GBP stays as written)
-- Every borough draws on the same template, so its payees are tagged: a borough's lines link
-- to its own contracts only (the tag holds the borough's number, and near matches are only
-- tried between names holding the same numbers, placespend.suppliers). Redaction is kept.
with

final as (
    select
        * replace (
            $label as "Organisation Label",
            $uri as "Organisation URI",
            case
                when "Beneficiary Name" is null or trim("Beneficiary Name") = ''
                    or regexp_matches("Beneficiary Name", 'redacted', 'i')
                    then "Beneficiary Name"
                else $tag || "Beneficiary Name"
            end as "Beneficiary Name"
        )
    from template_csv
)

select * from final
