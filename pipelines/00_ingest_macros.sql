-- 00_ingest_macros: parsing and normalising macros shared by the ingest steps.
-- inputs : none
-- output : temporary macros ps_trim, ps_clean, ps_fields_as_line, ps_amount_inner, ps_amount_parts, ps_amount_problem,
--          ps_amount_pence_general, ps_amount_pence_unchecked, ps_amount_pence, ps_is_redacted, ps_payee_key,
--          ps_financial_year, ps_is_total_label
-- grain  : one value in, one value out
-- units  : ps_amount_pence* return integer pence (BIGINT, signed)
-- The amount grammar is the same as placespend._parse.parse_amount_pence (tests pin the two
-- together): optional sign before and/or after an optional pound sign, digits with correct
-- thousands commas or none, at most two significant decimals, optionally in parentheses
-- (negative). A decimal comma (1.234,56) is refused, never guessed.
create or replace temp macro ps_trim(t) as
    regexp_replace(t, '^[ \t\n\r\f]+|[ \t\n\r\f]+$', '', 'g');

-- Trimmed, NULL when nothing is left: how every mapped field is read. Most values start and
-- end with a printing character (above U+0020): those are kept as they are, without the
-- regular expression.
create or replace temp macro ps_clean(t) as
    case
        when t = '' then null
        when ord(left(t, 1)) > 32 and ord(right(t, 1)) > 32 then t
        else nullif(ps_trim(t), '')
    end;

-- A row's fields written back as one delimited line, quoting a field that holds the delimiter
-- or a double quote (the raw text kept for a refused row read by DuckDB's reader).
create or replace temp macro ps_fields_as_line(fields, delimiter) as
    list_reduce(
        list_transform(fields, lambda f: case
            when contains(coalesce(f, ''), delimiter) or contains(coalesce(f, ''), '"')
                then '"' || replace(f, '"', '""') || '"'
            else coalesce(f, '')
        end),
        lambda acc, f: acc || delimiter || f);

create or replace temp macro ps_amount_inner(t) as
    case
        when regexp_full_match(ps_trim(t), '\((.*)\)')
            then ps_trim(regexp_extract(ps_trim(t), '^\((.*)\)$', 1))
        else ps_trim(t)
    end;

create or replace temp macro ps_amount_parts(t) as
    regexp_extract(
        ps_amount_inner(t),
        '^([-+]?)[ \t\n\r\f]*(£?)[ \t\n\r\f]*([-+]?)[ \t\n\r\f]*(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$',
        ['sign1', 'pound', 'sign2', 'whole', 'frac']
    );

-- The first branch is the common plain case (1234.56), tested once without trimming.
create or replace temp macro ps_amount_problem(t) as
    case
        when regexp_full_match(t, '[0-9]{1,15}(\.[0-9]{1,2})?') then null
        when t is null or ps_trim(t) = '' then 'amount is blank'
        when not regexp_full_match(
            ps_amount_inner(t),
            '([-+]?)[ \t\n\r\f]*(£?)[ \t\n\r\f]*([-+]?)[ \t\n\r\f]*(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?'
        ) then
            case
                when regexp_full_match(
                    ps_amount_inner(t),
                    '[-+]?[ \t\n\r\f]*£?[ \t\n\r\f]*[-+]?[ \t\n\r\f]*\d{1,3}(?:\.\d{3})*,\d{1,2}'
                ) then format(
                    'amount ''{}'' uses a decimal comma (European style); '
                    || 're-export with a decimal point, e.g. 1234.56', ps_trim(t))
                else format(
                    'amount ''{}'' is not a number (expected e.g. 1234.56, £1,234.56 or (123.45))',
                    ps_trim(t))
            end
        when ps_amount_parts(t).whole = '' and ps_amount_parts(t).frac = ''
            then format('amount ''{}'' has no digits', ps_trim(t))
        when (ps_amount_parts(t).sign1 <> '' and ps_amount_parts(t).sign2 <> '')
            or (regexp_full_match(ps_trim(t), '\((.*)\)')
                and ps_amount_parts(t).sign1 || ps_amount_parts(t).sign2 <> '')
            then format('amount ''{}'' has more than one sign', ps_trim(t))
        when length(replace(ps_amount_parts(t).whole, ',', '')) > 15
            then format('amount ''{}'' is implausibly large', ps_trim(t))
        when regexp_matches(substr(ps_amount_parts(t).frac, 3), '[1-9]')
            then format(
                'amount ''{}'' has more than 2 decimal places (not a whole number of pence)',
                ps_trim(t))
    end;

create or replace temp macro ps_amount_pence_general(t) as
    (case
        when regexp_full_match(ps_trim(t), '\((.*)\)')
            or contains(ps_amount_parts(t).sign1 || ps_amount_parts(t).sign2, '-') then -1
        else 1
    end)
    * (coalesce(cast(nullif(replace(ps_amount_parts(t).whole, ',', ''), '') as bigint), 0) * 100
       + cast(rpad(left(ps_amount_parts(t).frac, 2), 2, '0') as bigint));

-- Only call on text ps_amount_problem accepts (NULL problem). The decimal shortcut takes at
-- most 14 whole digits: pence of 15 (10^17) overflow DECIMAL(18) when multiplied by 100.
create or replace temp macro ps_amount_pence_unchecked(t) as
    case
        when regexp_full_match(t, '[0-9]{1,14}(\.[0-9]{1,2})?')
            then cast(cast(t as decimal(18, 2)) * 100 as bigint)
        else ps_amount_pence_general(t)
    end;

create or replace temp macro ps_amount_pence(t) as
    case when ps_amount_problem(t) is null then ps_amount_pence_unchecked(t) end;

-- Redaction markers as published: xxxxREDACTEDxxxx, REDACTED, Redacted, "Name redacted";
-- REDACTIVE EVENTS (a real supplier) does not match.
create or replace temp macro ps_is_redacted(p) as
    coalesce(regexp_matches(p, '(^|[^a-z])x*redacted(x*)([^a-z]|$)', 'i'), false);

-- The matching key for payees and contract suppliers: upper case; full stops and apostrophes
-- dropped (A.N.D -> AND); every other run of punctuation, symbols or spaces (including the
-- trailing asterisks some names carry) becomes one space; trimmed; NULL when nothing is left.
create or replace temp macro ps_payee_key(p) as
    nullif(trim(regexp_replace(
        regexp_replace(upper(p), '[.''’]', '', 'g'), '[^\pL\pN&]+', ' ', 'g')), '');

-- UK financial year (April to March) of a date, written 2024-25.
create or replace temp macro ps_financial_year(d) as
    cast(year(d) - cast(month(d) < 4 as integer) as varchar) || '-'
    || lpad(cast((year(d) - cast(month(d) < 4 as integer) + 1) % 100 as varchar), 2, '0');

-- A field that is a totals label, as a whole: "Total", "TOTALS", "Grand total", "Sub-total",
-- "Subtotal:", "TOTAL SPEND", "Total paid (£)", "Total for the month", "Total for June 2024".
-- Only these words may follow "total", so a supplier named "Total Gas & Power Ltd" or
-- "Totally Locum" is not a label. NULL for a NULL field. The cheap ILIKE first: the expression
-- runs only on the few fields that contain the word at all (no COALESCE around the AND, which
-- would make DuckDB evaluate both sides for every row).
create or replace temp macro ps_is_total_label(t) as
    t ilike '%total%' and regexp_full_match(lower(ps_trim(t)),
        '(grand|sub|overall|page|running|monthly|month|annual|yearly|year|net|gross|report|file|sheet)?'
        || '[ -]*totals?'
        || '( +(spend|spent|paid|payments?|amount|amounts|expenditure|value|gbp|£|costs?|\(£\)|\(gbp\)'
        || '|for( +the)? +(month|period|year|quarter|page|file|report|sheet|january|february|march'
        || '|april|may|june|july|august|september|october|november|december'
        || '|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)( +[0-9/-]{2,9})?))*'
        || '[ :.=]*');
