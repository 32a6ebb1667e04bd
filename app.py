"""placespend dashboard: where council money lands on Camden's housing estates.

A thin layer over the library: widgets, layout, cached calls into ``placespend.views``,
``maps``, ``charts``, ``pot`` and ``reports``, and the one place (with the CLI) where a
:class:`~placespend.errors.PlacespendError` becomes a message for people. Run with
``streamlit run app.py`` (``make run``).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import uuid
from collections.abc import Callable

import streamlit as st

st.set_page_config(
    page_title="placespend: spend on estates",
    layout="wide",
)

import pandas as pd  # noqa: E402

from placespend import (  # noqa: E402
    capital,
    charts,
    compare,
    export,
    maps,
    meeting,
    money,
    paths,
    pb_files,
    pools,
    pot,
    reports,
    scenarios,
    theme,
    uploads,
    view_state,
    views,
)
from placespend import estate_editor as ed  # noqa: E402
from placespend import priorities as prio  # noqa: E402
from placespend.errors import PlacespendError  # noqa: E402
from placespend.reconcile import reconcile  # noqa: E402
from placespend.safe_text import markdown as md  # noqa: E402

st.html(theme.style_tag())  # headline figures wrap instead of being cut at narrow widths


LOG = logging.getLogger("placespend.app")
PAGES = ("Map", "Estate", "Compare", "PB pot", "System financing", "Exports", "Method",
         "Your own data",
         "Edit estates", "Classify")
ALL_YEARS = "All years"
GAPS_SHOWN = 12  # sentences on the gap between priorities and spend, latest surveys first


# ---- cached loaders ------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _connection(db_file: str, stamp: float):
    """One read-only connection per store file (reopened when the file is rebuilt)."""
    return views.open_store(db_file)


def _cursor(dataset: views.Dataset):
    """This session's cursor on the dataset's store (DuckDB cursors are per thread)."""
    stamp = dataset.db_path.stat().st_mtime
    key = f"{dataset.db_path}:{stamp}"
    held = st.session_state.get("_cursor")
    if held is None or held[0] != key:
        held = (key, _connection(str(dataset.db_path), stamp).cursor())
        st.session_state["_cursor"] = held
    return key, held[1]


@st.cache_data(show_spinner=False)
def _facts(db: str, _con) -> dict:
    return {
        "is_demo": views.is_demo(_con),
        "label": views.data_label(_con),
        "years": views.financial_years(_con),
        "default_year": views.default_year(_con) if views.financial_years(_con) else None,
        "estates": views.estate_options(_con),
        "estate_search": views.estate_search(_con),
        "services": views.services(_con),
        "outcomes": views.outcomes(_con),
        "links": views.links(_con),
        "info": views.build_info(_con),
    }


@st.cache_resource(show_spinner="Preparing the map layers…")
def _geometry(db: str, _con) -> tuple[maps.Context, pd.DataFrame]:
    """Context layers and estate polygons in WGS84: reprojected once per store."""
    return views.map_geometry(_con)


@st.cache_resource(show_spinner=False)
def _layer_urls(db: str, _con) -> dict[str, str] | None:
    """The context layers as files the browser fetches once (None: sent inline, when static
    serving is off or the files cannot be written)."""
    if not st.get_option("server.enableStaticServing"):
        return None
    try:
        names = maps.write_layer_files(_geometry(db, _con)[0], paths.MAP_FILES_DIR)
    except OSError:  # a read-only install or a full disk: send the layers inline instead
        LOG.warning("map layer files not written to %s; sent inline", paths.MAP_FILES_DIR)
        return None
    return {layer: f"{paths.MAP_FILES_URL}/{name}" for layer, name in names.items()}


@st.cache_data(show_spinner=False, ttl=300)
def _basemap_reachable() -> bool:
    return maps.basemap_reachable()


_READS: dict[str, Callable] = {}


@st.cache_data(show_spinner=False)
def _cached_read(name: str, db: str, *args, _con):
    return _READS[name](_con, *args)


def _store_read(read: Callable) -> Callable:
    """``read(con, *args)`` cached per store file and arguments, called as
    ``(db, *args, con)``: ``db`` names the store (and its build) in the cache key, while the
    connection, the last argument, is never hashed."""
    name = f"{read.__module__}.{read.__qualname__}"
    _READS[name] = read

    def cached(db: str, *args):
        *rest, con = args
        return _cached_read(name, db, *rest, _con=con)

    return cached


_map_table = _store_read(views.map_table)
_coverage = _store_read(views.estate_coverage)
_overview = _store_read(views.estate_overview)
_provenance = _store_read(views.provenance)
_reach = _store_read(views.service_reach)
_comparison = _store_read(views.comparison)
_compared = _store_read(compare.compare)
_excluded = _store_read(views.excluded)
_source_lines = _store_read(views.source_lines)


@st.cache_data(show_spinner=False)
def _capital(db: str, estate_id: str, _con):
    return capital.capital_view(_con, estate_id), capital.programme(_con, estate_id)


@st.cache_data(show_spinner=False)
def _source_lines(db: str, estate_id: str, service_id: str | None, year: str | None, _con):
    return views.source_lines(_con, estate_id, service_id, year)


def _labelled(fig, facts: dict):
    """A chart that says the data is synthetic when it is (its PNG download too)."""
    return charts.with_data_label(fig, facts["label"]) if facts["is_demo"] else fig


def _table(frame: pd.DataFrame, **kwargs) -> None:
    """A data table with pound columns shown with thousands separators."""
    config = {c: st.column_config.NumberColumn(format="accounting") for c in frame.columns
              if "£" in str(c)}
    config.update(kwargs.pop("column_config", {}))
    st.dataframe(frame, hide_index=kwargs.pop("hide_index", True), width="stretch",
                 column_config=config, **kwargs)


# ---- first start and the data set ----------------------------------------------------------


def _ensure_default() -> None:
    if views.default_dataset().exists:
        return
    with st.status("First start: building the default database…", expanded=True) as status:
        bar = st.progress(0.0)
        steps = uploads.BUILD_STEPS

        def on_step(name: str) -> None:
            st.write(name)
            bar.progress(steps.index(name) / len(steps), text=name)

        uploads.ensure_default(on_step)
        bar.progress(1.0, text="Done")
        status.update(label="Default database built", state="complete", expanded=False)


def _choose_dataset() -> views.Dataset:
    found = {d.key: d for d in views.datasets()}
    pending = st.session_state.pop("_switch_to", None)
    if pending in found:
        st.session_state["data"] = pending
    if st.session_state.get("data") not in (None, *found):
        st.session_state["data"] = "default"
    key = st.sidebar.selectbox(
        "Data set",
        list(found),
        format_func=lambda k: found[k].label,
        key="data",
        bind="query-params",
        help="The default store, or one you built from your own files.",
    )
    return found[key or "default"]


# ---- the whole view in the URL (placespend.view_state) -------------------------------------


def _restore_view(facts: dict) -> None:
    """Once per session: the page choices a shared link carries, kept until their page is drawn
    (Streamlit drops a widget's value and URL parameter while it is not drawn)."""
    st.session_state["_estate_labels"] = facts["estates"]
    if "_view" not in st.session_state:
        params = {k: st.query_params.get_all(k) for k in view_state.KEYS}
        st.session_state["_view"] = view_state.from_query(params, facts["estates"],
                                                          facts["estate_search"])


def _kept(widget, *args, key: str, options=None, **kwargs):
    """``widget(*args, key=key, **kwargs)``, its value kept for the session and the URL: a
    value kept from an earlier page (or the link) is put back before it is drawn."""
    view = st.session_state["_view"]
    if key not in st.session_state and key in view:
        value = view_state.valid(key, view[key], options)
        if value is not None:
            st.session_state[key] = value
    drawn = widget(*args, key=key, **kwargs)
    view[key] = st.session_state.get(key)  # the value (for tabs, the open tab's label)
    _put_in_url(key, view[key])  # at once: what follows may take a while to draw
    return drawn


def _put_in_url(key: str, value) -> None:
    """One kept choice into the address bar, if it changed (its default: out of it)."""
    want = view_state.to_query({key: value}, st.session_state.get("_estate_labels")).get(key)
    have = st.query_params.get_all(key)
    if want is None:
        if have:
            del st.query_params[key]
    elif have != (want if isinstance(want, list) else [want]):
        st.query_params[key] = want


def _write_view(facts: dict, state: dict) -> None:
    """Every kept choice into the address bar (only what changed, so no needless message)."""
    view = dict(st.session_state.get("_view", {}))
    pot_for = view.pop("_pot_for", None)
    if pot_for is not None and pot_for != (state["estate"], _pot_year(facts, state)):
        view.pop("pot", None)  # the services picked for another estate or year
    for key in view_state.KEYS:
        _put_in_url(key, view.get(key))


# ---- sidebar: the view's state (synced to the URL) -----------------------------------------


def _sidebar(facts: dict) -> dict:
    sb = st.sidebar
    page = sb.radio("Page", PAGES, key="page", bind="query-params")
    options = facts["estates"]
    typed = st.session_state.get("estate")
    if typed not in (None, *options):  # a name, alias or street typed (or from a link)
        found, st.session_state["_estate_hint"] = views.find_estate(facts["estate_search"], typed)
        st.session_state["estate"] = st.session_state["_map_focus"] = found
    estate = sb.selectbox(
        "Find an estate by name",
        list(options),
        index=None,
        format_func=lambda k: options.get(k, k),
        placeholder="Type an estate or street name…",
        key="estate",
        bind="query-params",
        help="Any name, alias or street, e.g. Hilgrove or Hilgrove Rd; press Enter to search. "
        "Or click an estate on the map.",
        on_change=_on_search,
        accept_new_options=True,
    )
    if estate is not None and estate not in options:  # typed, or a name in a shared link
        estate, hint = views.find_estate(facts["estate_search"], estate)
    else:
        hint = st.session_state.pop("_estate_hint", "")
    if hint:
        sb.warning(md(hint))
    years = [*facts["years"], ALL_YEARS]
    default = facts["default_year"]
    year = sb.selectbox(
        "Financial year", years, key="year", bind="query-params",
        index=years.index(default.year) if default and default.year in years else 0,
        help=default.reason if default else None,
    )
    sb.markdown("**Map filters**")
    catalogue = facts["services"]
    names = dict(zip(catalogue["service_id"], catalogue["name"], strict=True))
    chosen = sb.multiselect(
        "Services",
        list(names),
        format_func=lambda k: names[k],
        key="services",
        bind="query-params",
        placeholder="All services",
        help="Colour the map by these services only (empty = every service).",
    )
    labels = dict(zip(facts["outcomes"]["outcome_id"], facts["outcomes"]["label"], strict=True))
    outcome = sb.selectbox(
        "Mission outcome",
        list(labels),
        index=None,
        format_func=lambda k: labels[k],
        key="outcome",
        bind="query-params",
        placeholder="Any outcome",
        help="Keep services whose primary Estates Mission outcome this is (also filters the "
        "network). Each service has one primary outcome, so the three add up to the whole.",
    )
    secondary = sb.checkbox(
        "Include secondary outcomes", key="secondary", bind="query-params",
        disabled=outcome is None,
        help="Also keep services that serve this outcome as a secondary one (the catalogue "
        "gives the reason for each).",
    )
    return {
        "page": page,
        "estate": estate,
        "year": None if year == ALL_YEARS else year,
        "year_text": year,
        "services": chosen,
        "outcome": outcome,
        "secondary": bool(secondary and outcome),
        "outcome_labels": labels,
    }


def _on_map_select(key: str) -> None:
    picked = maps.selected_estate(st.session_state.get(key))
    if picked:
        st.session_state["estate"] = picked


def _map_key() -> str:
    return f"map-{st.session_state.get('_map_gen', 0)}"


def _on_search() -> None:
    # The map flies to the estate found (a new initial view). Only when it still holds a click
    # on another estate is it made anew (fresh key), so that stale selection goes: a new map
    # costs the browser its whole drawing again, seconds under software rendering.
    found = st.session_state.get("estate")
    st.session_state["_map_focus"] = found
    clicked = maps.selected_estate(st.session_state.get(_map_key()))
    if clicked is not None and clicked != found:
        st.session_state["_map_gen"] = st.session_state.get("_map_gen", 0) + 1


def _go_to(page: str) -> None:
    st.session_state["page"] = page


# ---- pages ---------------------------------------------------------------------------------


def page_map(db: str, con, facts: dict, state: dict) -> None:
    st.header("Where the money lands")
    keep = views.filtered_services(facts["services"], state["services"], state["outcome"],
                                   state["secondary"])
    filtered = bool(state["services"] or state["outcome"])
    table = _map_table(db, state["year"], tuple(keep) if filtered else None, con)
    controls = st.columns([2, 2, 3])
    metric = _kept(
        controls[0].radio, "Colour estates by", views.METRICS, key="metric", horizontal=True,
        options=views.METRICS,
    )
    palette = _kept(
        controls[1].radio, "Colours", maps.PALETTES, key="palette", horizontal=True,
        help="Both palettes read in greyscale and with colour-vision deficiencies.",
        options=maps.PALETTES,
    )
    basemap = _kept(
        controls[2].checkbox, "Web basemap (needs internet)", key="basemap",
        help="Off by default: the map draws the borough, wards, green spaces and roads itself.",
    )
    column = views.metric_column(metric)
    scale = maps.quantile_scale(table[column], 5, palette, money.compact)
    context, shapes = _geometry(db, con)
    data = maps.estate_layer_data(shapes, table, scale, column, money.compact)
    left, right = st.columns([3, 1])
    st.session_state.setdefault("_map_focus", state["estate"])
    key = _map_key()
    with left:
        st.pydeck_chart(
            maps.deck(data, context, state["estate"], basemap="light" if basemap else None,
                      focus_id=st.session_state["_map_focus"], layer_urls=_layer_urls(db, con)),
            on_select=functools.partial(_on_map_select, key),
            selection_mode="single-object",
            key=key,
            height=620,
            alt=f"Map of {len(table)} estates coloured by {metric.lower()}; the table below "
            "holds the same figures.",
        )
        what = "selected services" if filtered else "all services"
        st.caption(
            f"{metric} of {what}, financial year {state['year_text']}. Quantile classes: "
            "each colour holds about a fifth of the estates. Hover for figures; click an estate "
            "to select it. Dark outlines: wards (named); green: parks and green space; grey: roads."
        )
        if basemap and not _basemap_reachable():
            st.warning(
                "The web basemap could not be loaded: Carto's servers did not answer (no "
                "internet here?). The map is drawn without it, from the borough, wards, green "
                "space and roads shipped with placespend.", icon=":material/cloud_off:",
            )
        elif basemap:
            st.caption(
                "The web basemap's tiles come from Carto's servers: without internet they stay "
                "blank, and the estates, wards, green space and roads are drawn all the same."
            )
    with right:
        st.metric("Total on the map", money.exact(int(table["total_pence"].sum())),
                  help="Spend placed on every estate by the services the filters keep; with "
                  "no filter, the place-based total on estates.")
        no_data = int(table[column].isna().sum())
        st.html(maps.legend_html(scale, metric, no_data=no_data))
        _selected_card(table, state)
    with st.expander("The map as a table"):
        _table(views.map_table_display(table))
    _across_priorities(db, con, state)


def _selected_card(table: pd.DataFrame, state: dict) -> None:
    if state["estate"] is None:
        st.info("Click an estate on the map or find it by name in the sidebar.")
        return
    row = table[table["estate_id"] == state["estate"]].iloc[0]
    st.subheader(md(row["estate_name"]))
    st.caption(f"Boundary: {md(row['boundary'])}")
    st.metric("Total (shown services)", money.exact(row["total_pence"]))
    st.caption(f"Range {money.compact(row['low_pence'])} – {money.compact(row['high_pence'])}")
    st.metric("Per household", money.compact(row["per_household_pence"]))
    st.button("Open the estate page", on_click=_go_to, args=("Estate",), key="open_estate",
              type="primary")


def page_estate(db: str, con, facts: dict, state: dict) -> None:
    estate_id = state["estate"]
    if estate_id is None:
        st.header("Estate")
        st.info("Find an estate by name in the sidebar, or click one on the map.")
        return
    year = state["year"]
    ov = _overview(db, estate_id, year, con)
    st.header(md(ov.name))
    st.caption(
        f"{md(ov.wards)} · about {ov.households_est:,.0f} households · "
        f"boundary: {md(ov.boundary)} · "
        f"financial year {state['year_text']}"
    )
    cols = st.columns(4)
    cols[0].metric("Total spend placed here", money.exact(ov.total_pence))
    cols[0].caption(f"80% interval {money.exact(ov.low_pence)} – {money.exact(ov.high_pence)}")
    cols[1].metric("Per household", money.compact(ov.per_household_pence))
    cols[2].metric("Direct (estate contracts)", money.compact(ov.direct_pence))
    cols[3].metric("Delegable services", money.compact(ov.delegable_pence))
    with st.expander("About this boundary"):
        st.markdown(md(ov.boundary_note, 2000, lines=True) if ov.boundary_note else "No note.")
    rows = _provenance(db, estate_id, year, con)
    services = views.by_service(rows)
    # Only the open tab runs; it is kept in the URL (view_state), so a shared link reopens it.
    names = ("By service", "Where it comes from", "Services together", "Compared",
             "Payment lines", "Residents' priorities", "Capital and services")
    tabs = _kept(st.tabs, names, key="tab", on_change="rerun", options=names)
    if tabs[0].open:
        with tabs[0]:
            _tab_by_service(rows, ov, db, year, con)
    if tabs[1].open:
        with tabs[1]:
            _tab_sankey(services, ov, db, year, con, facts)
    if tabs[2].open:
        with tabs[2]:
            _tab_network(services, facts, state)
    if tabs[3].open:
        with tabs[3]:
            _tab_compare(db, estate_id, year, con, facts)
    if tabs[4].open:
        with tabs[4]:
            _tab_lines(db, estate_id, services, year, con)
    if tabs[5].open:
        with tabs[5]:
            _tab_priorities(db, estate_id, year, state, con)
    if tabs[6].open:
        with tabs[6]:
            _tab_capital(db, estate_id, facts, con)


def _tab_by_service(rows, ov, db, year, con) -> None:
    st.markdown(
        "Each line says how it reached this estate: **direct** (the estate's own contract) or "
        "**apportioned** by a key over a scope. Low and high bound a calibrated interval "
        "(nominally 80%: on census truth it held the true figure about 79% of the time; see "
        "*How right is it?* on the Method page). The same spend shared by another key is a "
        "sensitivity, reported in the exports as *with another key*, never as the range."
    )
    if caveat := views.accuracy_caveat(con):
        st.caption(caveat)  # our own words, not a user's: safe as Markdown
    _table(views.provenance_display(rows, ov.total_pence))
    ex = _excluded(db, year, con)
    st.markdown(
        f"**Excluded** from every estate ({money.compact(ex['amount_pence'].sum())} across the "
        "borough): not place-based or unclassified spend, reported on its own line so totals "
        "still reconcile."
    )
    _table(pd.DataFrame({"Service": ex["service"], "Reason": ex["exclusion_reason"],
                         "Amount (£)": (ex["amount_pence"] / 100).round(2),
                         "Payment lines": ex["n_lines"]}))


def _tab_sankey(services, ov, db, year, con, facts) -> None:
    elsewhere = _kept(
        st.checkbox, "Show the share of each service landing elsewhere", key="sankey_elsewhere",
        help="Sizes each service by its whole borough spend; this estate becomes a sliver.",
    )
    flows = charts.sankey_flows(services, ov.name, _reach(db, year, con),
                                include_elsewhere=elsewhere)
    st.plotly_chart(_labelled(charts.sankey(flows), facts), key="sankey", width="stretch")
    with st.expander("The flows as a table"):
        _table(charts.sankey_table(flows))


def _tab_network(services, facts, state) -> None:
    inter = charts.interdependency(services, facts["links"], state["outcome"])
    st.metric(
        "System financing: spend of linked services here",
        money.compact(inter.pooled_pence),
        help="The pooled spend of every service on this estate that reinforces, depends on or "
        "undermines another service here (catalogue links).",
    )
    st.caption(
        f"{len(inter.edges)} links among {int(inter.nodes['linked'].sum())} of "
        f"{len(inter.nodes)} services with spend here. Circle area = £ on this estate; colour = "
        "mission outcome; solid = reinforces, dashed = depends on, dotted = undermines."
    )
    st.plotly_chart(_labelled(charts.network(inter, state["outcome_labels"]), facts),
                    key="network", width="stretch")
    with st.expander("The links as a table"):
        _table(charts.link_table(inter))
    with st.expander("The links as a matrix (row → column)"):
        st.dataframe(charts.matrix(inter), width="stretch")


def _tab_compare(db, estate_id, year, con, facts) -> None:
    comp = _comparison(db, estate_id, year, con)
    st.plotly_chart(_labelled(charts.comparison_bars(comp), facts), key="compare",
                    width="stretch")
    st.caption(
        "A ward's figure is its spend off estates plus its estates' spend (an estate across "
        "wards is split by its households in each), over the ward's households."
    )
    with st.expander("The comparison as a table"):
        _table(views.comparison_display(comp))


def _tab_capital(db, estate_id, facts, con) -> None:
    view, schemes = _capital(db, estate_id, con)
    st.markdown(
        "Capital spend by financial year beside the revenue services the catalogue links to "
        "capital works (" + ", ".join(md(n) for n in view.linked_services) + "), per council "
        f"home, here and on the {len(view.peers)} estates most like this one by size and "
        "council stock. Every year of spend is shown, whatever year is chosen above."
    )
    st.info(view.reading)  # our own words, from figures: no user text
    synthetic = bool(schemes["synthetic"].any()) if len(schemes) else False
    st.plotly_chart(charts.capital_chart(view.by_year, schemes, synthetic), key="capital",
                    width="stretch")
    _table(capital.by_year_display(view))
    if len(schemes):
        st.markdown("**Capital programme**" + (" (SYNTHETIC DEMO: made from the demo spend, "
                                               "not a council's plan)" if synthetic else ""))
        _table(pd.DataFrame({
            "Scheme": schemes["scheme"], "Blocks": schemes["blocks"],
            "From": schemes["start_year"], "To": schemes["end_year"],
            "Budget (£)": (schemes["budget_pence"] / 100).round(2)}))
    else:
        st.caption("No capital programme names this estate (give one with "
                   "`placespend build --capital-programme FILE`).")
    with st.expander("The estates like it"):
        _table(pd.DataFrame({
            "Estate": view.peers["name"], "Households": view.peers["households"].round(0),
            "Council share": (view.peers["council_share"] * 100).round(0)}))


def _tab_lines(db, estate_id, services, year, con) -> None:
    names = dict(zip(services["service_id"], services["service"], strict=True))
    choice = _kept(
        st.selectbox, "Show the payment lines behind", [None, *names],
        format_func=lambda k: "every service" if k is None else names[k], key="drill",
        options=list(names),
    )
    lines = _source_lines(db, estate_id, choice, year, con)
    what = "this estate" if choice is None else f"{md(names[choice])} here"
    st.caption(
        f"All {lines.count:,} payment lines behind {what}, those reaching it most first. "
        f"Their shares, in whole pence, add up to {money.exact(lines.share_pence)}: the "
        "figure, to the penny. File and row point at the spend export as published."
    )
    # Every line, sent to the browser only as it is scrolled to (lazy); the download below
    # holds them all, with the data label on each.
    _table(lines.table, lazy=True, alt=f"The {lines.count:,} payment lines behind {what}")
    label = "every service" if choice is None else choice
    st.download_button(f"Download all {lines.count:,} lines (CSV)", lines.download,
                       file_name=views.download_name(
                           con, f"payment_lines_{estate_id}_{label}_{year or 'all_years'}.csv"),
                       mime="text/csv", on_click="ignore", key="dl_lines",
                       help="Every payment line behind this figure, with the data label on "
                       "each row; the column 'Reaching this estate (£)' adds up to the figure.")


def page_compare(db: str, con, facts: dict, state: dict) -> None:
    st.header("Compare estates")
    options = facts["estates"]
    view = st.session_state["_view"]
    _link_estates_note(view, options)
    if "estates" not in st.session_state and "estates" not in view:
        st.session_state["estates"] = [state["estate"]] if state["estate"] else []
    chosen = _kept(
        st.multiselect, f"Estates side by side ({compare.MIN_ESTATES} to "
        f"{compare.MAX_ESTATES})", list(options), format_func=lambda k: options.get(k, k),
        key="estates", options=list(options), max_selections=compare.MAX_ESTATES,
        placeholder="Type an estate's name…",
        help="The link keeps them, so a copied address opens the same comparison.",
    )
    if len(chosen) < compare.MIN_ESTATES:
        st.info(f"Pick at least {compare.MIN_ESTATES} estates (up to {compare.MAX_ESTATES}) "
                "to set side by side.")
        return
    comp = _compared(db, tuple(chosen), state["year"], con)
    st.caption(
        f"Financial year {state['year_text']}. Total: all spend placed on the estate; per "
        "household: over its estimated households; delegable pot: the catalogue's delegable "
        "services, the pot the PB page opens with."
    )
    st.plotly_chart(_labelled(compare.headline_chart(comp), facts), key="compare_headline",
                    width="stretch")
    _table(compare.summary_table(comp))
    measure = _kept(st.radio, "Spend by service as", compare.MEASURES, key="compare_by",
                    horizontal=True, options=compare.MEASURES)
    st.plotly_chart(_labelled(compare.services_chart(comp, measure), facts),
                    key="compare_services", width="stretch")
    with st.expander("Spend by service as a table"):
        _table(compare.services_table(comp, measure))
    st.download_button(
        "Download the comparison (CSV)", compare.csv_bytes(comp, facts["label"]),
        file_name=views.download_name(con, f"compare_{len(chosen)}_estates_"
                                           f"{state['year'] or 'all_years'}.csv"),
        mime="text/csv", on_click="ignore", key="dl_compare",
        help="Each estate's total, delegable pot and every service, in exact pounds and per "
        "household, with the data label on each row.")


def _link_estates_note(view: dict, options: dict) -> None:
    """Say which estates a shared link named that the page cannot show: names that match no
    one estate (read by any name or alias), and any beyond the most the page sets side by
    side. The names are the link's text, shown as text."""
    notes = [u.message() for u in view.get(view_state.UNMATCHED, [])]
    linked = view.get("estates") or []
    if len(linked) > compare.MAX_ESTATES:
        left = ", ".join(options.get(e, e) for e in linked[compare.MAX_ESTATES:])
        notes.append(f"The link names {len(linked)} estates; the page sets up to "
                     f"{compare.MAX_ESTATES} side by side, so these are left out: {left}.")
        view["estates"] = linked[:compare.MAX_ESTATES]
        view["_estates_cut"] = notes[-1]
    elif view.get("_estates_cut"):
        notes.append(view["_estates_cut"])
    if notes:
        st.warning(md("Some estates in this link are not shown. " + " ".join(notes), 2000),
                   icon=":material/link_off:")


# ---- residents' priorities (placespend.priorities) --------------------------------------------


@st.cache_data(show_spinner=False)
def _priorities(db: str, stamp: tuple, _con) -> prio.Priorities:
    return prio.PriorityBook.of(_con).load(_con)


def _kept_priorities(db: str, con) -> prio.Priorities | None:
    """The data set's priorities, or ``None`` (with the problem shown) when a kept file no
    longer reads."""
    try:
        return _priorities(db, prio.PriorityBook.of(con).stamp(), con)
    except PlacespendError as exc:
        _show_problem(exc)
        return None


def _tab_priorities(db, estate_id, year, state, con) -> None:
    found = _kept_priorities(db, con)
    if found is not None and not found.for_estate(estate_id).rows.empty:
        comp = prio.compare(con, found, estate_id, year)
        if comp.synthetic:
            st.warning(f"**{prio.SYNTHETIC}**: these residents' priorities are made up, to show "
                       "the view; no resident was asked.", icon=":material/warning:")
        st.markdown(
            f"What residents said beside the share of the estate's spend "
            f"({money.exact(comp.estate_total_pence)}, {state['year_text']}) each priority "
            "gets. An outcome's share is the spend of every service serving it, so outcomes' "
            "shares overlap; an idea has no spend yet.")
        # sources and names come from residents' files: escaped, one bullet each
        st.markdown("\n".join(f"- {md(gap, 1000)}" for gap in comp.gaps[:GAPS_SHOWN]))
        if len(comp.gaps) > GAPS_SHOWN:
            st.caption(f"{len(comp.gaps) - GAPS_SHOWN:,} more sentences: the table holds "
                       "every survey.")
        surveys = comp.surveys()
        shown = st.selectbox("Survey or vote shown in the chart", surveys, key="prio_survey",
                             help="Every survey and vote for the estate is in the table below."
                             ) if len(surveys) > 1 else None
        st.plotly_chart(prio.chart(comp, shown), key="priorities_chart", width="stretch")
        _table(prio.display(comp.table))
    elif found is not None:
        st.info("No residents' priorities are kept for this estate in this data set. Import a "
                "survey or vote file below, or from the command line with "
                "`placespend priorities import FILE`.")
    _priorities_import(con)


def _priorities_import(con) -> None:
    with st.expander("Import residents' priorities (CSV or pabulib .pb)"):
        st.caption("A CSV with estate, priority, rank and/or score, respondents, source and "
                   "date (the template below), or a pabulib .pb file with votes. Every row is "
                   "checked; the file is kept with this data set.")
        upload = st.file_uploader("Priorities file", type=["csv", "pb"], key="prio_upload")
        cols = st.columns(3)
        if cols[0].button("Check and keep it", key="prio_keep", disabled=upload is None):
            _keep_priorities(con, upload.name, upload.getvalue())
        if cols[1].button("Load the synthetic demo priorities", key="prio_demo"):
            demo = prio.shipped_file("demo")
            _keep_priorities(con, demo.name, demo.read_bytes())
        cols[2].download_button("Empty template (CSV)",
                                prio.shipped_file("template").read_bytes(),
                                file_name="priorities_template.csv", mime="text/csv",
                                on_click="ignore", key="prio_template")


def _keep_priorities(con, name: str, data: bytes) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        try:
            found = prio.PriorityBook.of(con).save(path, con)
        except PlacespendError as exc:
            _show_problem(exc)
            return
    st.session_state["_notice"] = ("success", f"Kept {len(found.rows)} priorities from "
                                   f"{md(name)}.")
    st.rerun()


def _across_priorities(db: str, con, state: dict) -> None:
    found = _kept_priorities(db, con)
    if found is None or found.rows.empty:
        return
    table = prio.across_estates(con, found, state["year"])
    with st.expander(f"Residents' top priorities against spend ({len(table)} estates)"):
        if found.is_synthetic:
            st.warning(f"**{prio.SYNTHETIC}**: some of these priorities are made up.")
        st.caption("Each estate's latest survey or vote: its top priority and the share of the "
                   f"estate's spend it gets, financial year {state['year_text']}, smallest "
                   "share first.")
        _table(prio.across_display(table))


def page_pool(db: str, con, facts: dict, state: dict) -> None:
    st.header("System financing: pool co-dependent services")
    st.markdown(
        "Bring together the spend of services that depend on each other, as one budget for the "
        "estates chosen: the pooled total per estate and across them, each service's "
        "contribution, and what share of that service's borough-wide spend it is. Start from "
        "the catalogue's links for a mission outcome, then edit the list.")
    book = pools.PoolBook(db.rsplit(":", 1)[0])
    names = dict(zip(facts["services"]["service_id"], facts["services"]["name"], strict=True))
    _open_pool(book, names, facts["estates"])
    labels = state["outcome_labels"]
    c1, c2 = st.columns([3, 1])
    outcome = c1.selectbox("Suggest services linked for the outcome", list(labels), index=None,
                           format_func=lambda k: labels[k], key="pool_outcome",
                           placeholder="Any outcome (every catalogue link)")
    c2.button("Suggest", key="pool_suggest", on_click=_suggest_pool,
              args=(facts["services"], facts["links"], outcome),
              help="Replace the services below with those the catalogue links for this "
              "outcome.")
    chosen = st.multiselect("Services in the pool", list(names), format_func=lambda k: names[k],
                            key="pool_services", placeholder="Pick services")
    estates = st.multiselect("Estates", list(facts["estates"]),
                             format_func=lambda k: facts["estates"][k], key="pool_estates",
                             placeholder="Every estate")
    year = state["year"]
    st.caption(f"Financial year {state['year_text']} (the sidebar's).")
    if not chosen:
        st.info("Pick the services to pool, or press *Suggest*.")
        return
    pool = pools.Pool(name=st.session_state.get("pool") or "Unsaved pool",
                      service_ids=tuple(chosen), estate_ids=tuple(estates),
                      financial_year=year, outcome=outcome)
    result = pools.work_out(con, pool)
    m1, m2, m3 = st.columns(3)
    m1.metric("Pooled total", money.exact(result.total_pence))
    m2.metric("Estates", f"{len(result.by_estate):,}")
    m3.metric("Services", f"{len(result.by_service):,}")
    st.markdown("**Each service's contribution**")
    _table(pools.by_service_display(result))
    st.markdown("**Per estate**")
    _table(pools.by_estate_display(result))
    d1, d2 = st.columns(2)
    stem = export.safe_filename(("SYNTHETIC_DEMO_" if facts["is_demo"] else "")
                                + f"pool_{pool.name}")
    d1.download_button("Download the pool (CSV)", pools.csv_bytes(con, result),
                       file_name=f"{stem}.csv", mime="text/csv", on_click="ignore",
                       key="dl_pool_csv")
    d2.download_button("Download the pool (XLSX)", pools.xlsx_bytes(con, result),
                       file_name=f"{stem}.xlsx", on_click="ignore", key="dl_pool_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    _save_pool(book, pool)
    saved = book.list()
    if len(saved) > 1:
        picked = st.multiselect("Compare saved pools", [p.name for p in saved],
                                key="pool_compare", max_selections=4)
        if picked:
            table = pools.compare(con, [book.get(n) for n in picked])
            _table(table.assign(pooled_pence=table["pooled_pence"] / 100)
                   .rename(columns={"pooled_pence": "Pooled £"}))


def _suggest_pool(services, links, outcome) -> None:
    st.session_state["pool_services"] = pools.suggest(services, links, outcome)


def _open_pool(book, names: dict, estates: dict) -> None:
    """Put the pool the URL names into the widgets, once per choice."""
    pending = st.session_state.pop("_pending_pool", None)
    if pending is not None:
        st.session_state["pool"] = pending
    saved = book.names()
    if st.session_state.get("pool") not in (None, *saved):
        st.session_state["pool"] = None
    name = st.selectbox("Saved pool", saved, index=None, key="pool", bind="query-params",
                        placeholder="None opened",
                        help="Pools are saved with this data set, so a link naming one "
                        "reopens it.")
    if name is None:
        st.session_state.pop("_opened_pool", None)
        return
    if st.session_state.get("_opened_pool") != name:
        pool = book.get(name)
        st.session_state["_opened_pool"] = name
        st.session_state["pool_services"] = [s for s in pool.service_ids if s in names]
        st.session_state["pool_estates"] = [e for e in pool.estate_ids if e in estates]
        st.session_state["pool_outcome"] = pool.outcome


def _save_pool(book, pool) -> None:
    with st.form("save_pool", clear_on_submit=True, border=False):
        name = st.text_input("Pool name", placeholder="e.g. repairs and health",
                             key="pool_name")
        over = st.checkbox("Save over a pool of that name", key="pool_over")
        if st.form_submit_button("Save pool"):
            try:
                saved = book.save(dataclasses.replace(pool, name=name), overwrite=over)
            except PlacespendError as exc:
                st.error(md(exc, 2000))
            else:
                st.session_state["_pending_pool"] = saved.name
                st.rerun()


def page_pot(db: str, con, facts: dict, state: dict) -> None:
    st.header("Participatory budgeting: size the pot")
    st.caption(
        "The Hilgrove estate pilot delegated about £100k a year of repairs, green spaces and "
        "outdoor cleaning to residents: about a quarter of its estate-services budget. The "
        "panel under the pot sets its lines beside this tool's."
    )
    estate_id = state["estate"]
    if estate_id is None:
        st.info("Pick the estate whose residents would decide, in the sidebar.")
        return
    year = _pot_year(facts, state)
    if state["year"] is None:
        st.caption(f"A pot is per year: sizing on {year}. {md(facts['default_year'].reason)}")
    book = _book(db)
    services = views.by_service(_provenance(db, estate_id, year, con))
    st.subheader(f"{md(facts['estates'][estate_id])}, {year}")
    names = dict(zip(services["service_id"], services["service"], strict=True))
    amounts = dict(zip(services["service_id"], services["amount_pence"], strict=True))
    key = f"pot::{estate_id}::{year}"
    opened = _open_scenario(book, estate_id, year, key, names)
    delegable = [s for s in pot.delegable_services(con) if s in names]
    view = st.session_state["_view"]
    if key not in st.session_state:
        linked = view_state.valid("pot", view.get("pot"), names)  # from a shared link
        mine = view.get("_pot_for") in (None, (estate_id, year))
        st.session_state[key] = linked if linked and mine else delegable
    chosen = st.multiselect(
        "Services in the pot (delegable ones are pre-ticked; add or remove any)",
        list(names),
        format_func=lambda k: f"{names[k]} ({money.compact(amounts[k])})",
        key=key,
    )
    view["pot"] = None if set(chosen) == set(delegable) else list(chosen)
    view["_pot_for"] = (estate_id, year)
    brief = pot.size_pot(con, estate_id, year, chosen)
    cols = st.columns(4)
    cols[0].metric("Pot per year", money.exact(brief.total_pence))
    cols[0].caption(f"Range {money.exact(brief.low_pence)} – {money.exact(brief.high_pence)}")
    cols[1].metric("Share of estate-services spend", f"{brief.estate_services_share:.1%}",
                   help=f"Of {money.exact(brief.estate_services_pence)}: the Housing "
                   "landlord services the catalogue marks as estate services (the pilot's "
                   "denominator).")
    cols[1].caption(f"{brief.share:.1%} of all place-based spend on the estate "
                    f"({money.exact(brief.estate_total_pence)})")
    cols[2].metric("Per household", money.compact(brief.per_household_pence))
    if brief.change_share is not None:
        cols[3].metric(
            "Year on year", f"{brief.change_share:+.1%}",
            help=f"{brief.previous_financial_year}: "
            f"{money.exact(brief.previous_year_total_pence)} for the same services.",
        )
    else:
        cols[3].metric("Year on year", "–", help="No previous year in the data.")
    _pilot_panel(con, brief)
    # Each section in its own container: the number of lines inside varies, and the elements
    # after them (the downloads) keep their place while a rerun is drawn.
    with st.container():
        plan = _trade_offs(con, brief, opened)
    with st.container():
        _scenarios(con, book, brief, plan, year)
    stem = views.download_name(con, f"pot_{estate_id}_{year}")
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("Pot brief (CSV: Decidim / CONSUL)", pot.pot_brief_csv(brief),
                       file_name=f"{stem}.csv", mime="text/csv", on_click="ignore",
                       key="dl_pot_csv")
    d2.download_button("Pot brief (JSON)", pot.pot_brief_json(brief),
                       file_name=f"{stem}.json", mime="application/json", on_click="ignore",
                       key="dl_pot_json")
    d3.download_button("Pot brief (PDF)", lambda: pot.pot_brief_pdf(brief),
                       file_name=f"{stem}.pdf", mime="application/pdf", on_click="ignore",
                       key="dl_pot_pdf")
    if plan is not None:
        d4.download_button("Ballot file (pabulib .pb)", lambda: pb_files.pabulib(plan),
                           file_name=f"{stem}.pb", mime="text/plain", on_click="ignore",
                           key="dl_pot_pb", help="The ideas pot as the budget, the service "
                           "lines as projects: read by pabutools and the Method of Equal "
                           "Shares tools.")
    _vote_result_panel(db, con)


def _vote_result_panel(db: str, con) -> None:
    with st.expander("After the vote: next year's scenario from the result (.pb)"):
        st.caption("The ballot file with its votes (or a selected column): the winning ideas "
                   "and the file's service lines become a saved scenario with the ballot's "
                   "totals, as `placespend vote-result` makes it.")
        st.file_uploader("Result file (pabulib .pb)", type=["pb"], key="vote_upload")
        st.text_input("Name for next year's scenario (optional)", key="vote_name",
                      max_chars=scenarios.NAME_LIMIT)
        st.button("Save next year's scenario", key="vote_save", on_click=_take_vote_result,
                  args=(db, con), disabled=st.session_state.get("vote_upload") is None)
        problem = st.session_state.pop("_vote_problem", None)
        if problem:
            st.error(md(problem, 4000, lines=True), icon=":material/error:")


def _take_vote_result(db: str, con) -> None:
    """The button's callback: runs before the page, so it may open the saved scenario."""
    import tempfile
    from pathlib import Path

    from placespend import pb_votes

    upload = st.session_state.get("vote_upload")
    if upload is None:
        return
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            decided = pb_votes.result(path, con)
        scenario = pb_votes.next_scenario(con, decided, st.session_state.get("vote_name") or None)
        planned = scenarios.plan(con, scenario)
        if planned.pot_pence != decided.pot_pence or planned.ideas_pence != decided.ideas_pence:
            msg = f"{upload.name}: the scenario's totals differ from the ballot's; not saved."
            raise PlacespendError(msg)
        saved = _book(db).save(scenario)
    except PlacespendError as exc:
        st.session_state["_vote_problem"] = str(exc)
        return
    st.session_state["estate"] = saved.estate_id
    st.session_state["year"] = saved.financial_year
    st.session_state["_pending_scenario"] = saved.name
    won = ", ".join(md(r.name, 80) for r in decided.winners.itertuples()) or "none"
    st.session_state["_notice"] = (
        "success", f"Saved scenario {md(saved.name)}: pot {money.exact(planned.pot_pence)}, "
        f"service lines {money.exact(planned.services_pence)}, ideas pot "
        f"{money.exact(planned.ideas_pence)}, as the ballot's. Winning ideas: {won}.")


def _pot_year(facts: dict, state: dict) -> str:
    """A pot is per year: the year chosen, else the default one (the latest full year)."""
    default = facts["default_year"]
    return state["year"] or (default.year if default and default.year else facts["years"][0])


def _book(db: str):
    # ``db`` is the cache key "<store path>:<mtime>"; scenarios live beside the store.
    return scenarios.ScenarioBook(db.rsplit(":", 1)[0])


def _pilot_panel(con, brief) -> None:
    ref = pot.pilot_reference(con, brief)
    with st.expander("The Hilgrove pilot's lines beside this estate's", expanded=False):
        _table(pd.DataFrame({
            "The pilot's line": ref.table["pilot_line"],
            "Pilot £ per year": ref.table["pilot_pence"] / 100,
            "Service here": ref.table["service"],
            "Here £ per year": (ref.table["tool_pence"] / 100).round(2),
        }))
        st.caption(md(f"Source: {ref.source}"))
        st.markdown("**Why the figures differ**")
        for note in ref.notes:
            st.markdown("- " + md(note))


def _open_scenario(book, estate_id: str, year: str, key: str, names: dict):
    """Put the scenario the URL names into the widgets, once per choice; returns it."""
    pending = st.session_state.pop("_pending_scenario", None)
    if pending is not None:
        st.session_state["scenario"] = pending
        st.session_state["_opened_scenario"] = pending
    saved = [s.name for s in book.list(estate_id) if s.financial_year == year]
    if st.session_state.get("scenario") not in (None, *saved):
        st.session_state["scenario"] = None
    name = st.selectbox(
        "Saved scenario", saved, index=None, key="scenario", bind="query-params",
        placeholder="None opened: the pot as it is now",
        help="Scenarios are saved with this data set, so a link naming one reopens it.",
    )
    if name is None:
        st.session_state.pop("_opened_scenario", None)
        return None
    scenario = book.get(name)
    if st.session_state.get("_opened_scenario") != name:
        st.session_state["_opened_scenario"] = name
        st.session_state[key] = [s for s in scenario.service_ids if s in names]
        changes = {c.service_id: c for c in scenario.changes}
        for sid in names:
            change = changes.get(sid)
            st.session_state[f"chg_by::{sid}"] = "£" if change and change.kind == "gbp" else "%"
            st.session_state[f"chg::{sid}"] = float(change.value) if change else 0.0
        st.session_state["pot_cut"] = float(scenario.cut_pct)
        st.session_state["pot_raise"] = float(scenario.raise_pct)
        st.session_state["pot_years"] = scenario.years
        st.session_state["pot_uprating"] = float(scenario.uprating_pct)
    return scenario


def _trade_offs(con, brief, opened):
    """Residents' changes to each line within the bounds: the plan, or ``None`` if refused."""
    st.markdown("**Residents' trade-offs.** Cut or raise a service line; what is cut goes "
                "into the ideas pot for residents' own ideas, what is raised comes out of it.")
    b1, b2, b3, b4 = st.columns(4)
    cut = b1.number_input("Most a line may be cut (%)", 0.0, 100.0, 50.0, 5.0, key="pot_cut",
                          help="The facilitator's bound.")
    rise = b2.number_input("Most a line may be raised (%)", 0.0, 1000.0, 50.0, 5.0,
                           key="pot_raise", help="The facilitator's bound.")
    years = b3.number_input("Years of the pilot", 1, scenarios.MAX_YEARS, 1, key="pot_years")
    uprating = b4.number_input("Uprating per year (%)", -50.0, 50.0, 0.0, 0.5,
                               key="pot_uprating", help="Applied to every line and the ideas "
                               "pot from the second year on, rounded to the penny.")
    changes = []
    for row in brief.lines.itertuples():
        c1, c2, c3 = st.columns([3, 1, 2])
        c1.markdown(f"{md(row.service)}  \n{money.exact(row.amount_pence)} a year now")
        by = c2.radio("By", ["%", "£"], key=f"chg_by::{row.service_id}", horizontal=True,
                      label_visibility="collapsed")
        value = c3.number_input(f"Change to {md(row.service)} ({by})", value=0.0, step=1.0,
                                key=f"chg::{row.service_id}", format="%.2f")
        if value:
            changes.append(scenarios.Change(row.service_id, "pct" if by == "%" else "gbp",
                                            f"{value:.2f}"))
    ideas = _ideas_editor(opened)
    scenario = scenarios.Scenario(
        name=opened.name if opened else "Now", estate_id=brief.estate_id,
        financial_year=brief.financial_year, service_ids=tuple(brief.lines["service_id"]),
        changes=tuple(changes), cut_pct=f"{cut:g}", raise_pct=f"{rise:g}", years=int(years),
        uprating_pct=f"{uprating:g}", ideas=ideas)
    attrs = pot.service_attributes(con).set_index("service_id")
    lines = brief.lines.assign(
        unit=[attrs["unit"].get(s) for s in brief.lines["service_id"]],
        unit_cost_pence=[attrs["unit_cost_pence"].get(s) for s in brief.lines["service_id"]])
    try:
        plan = scenarios.plan_from(scenario, brief, lines)
    except PlacespendError as exc:
        st.error(md(exc, 2000))
        return None
    m1, m2, m3 = st.columns(3)
    m1.metric("Service lines", money.exact(plan.services_pence))
    m2.metric("Ideas pot", money.exact(plan.ideas_pence),
              help="The pot less the service lines, to the penny.")
    m3.metric("Pot", money.exact(plan.pot_pence))
    if plan.scenario.ideas:
        asked = sum(c for _, c in plan.scenario.ideas)
        st.caption(f"{len(plan.scenario.ideas)} ideas put forward, costing "
                   f"{money.exact(asked)} together, for an ideas pot of "
                   f"{money.exact(plan.ideas_pence)}: the vote decides which are funded.")
    _table(pd.DataFrame({
        "Service": plan.lines["service"],
        "Now £": plan.lines["base_pence"] / 100,
        "Change £": plan.lines["change_pence"] / 100,
        "Planned £": plan.lines["planned_pence"] / 100,
        "In units": [scenarios.unit_words(r) for r in plan.lines.itertuples()],
    }))
    st.caption("Units use the catalogue's unit costs (placespend's assumed £30.00 an hour for "
               "a caretaker or a gardener unless the catalogue says otherwise).")
    if plan.scenario.years > 1:
        st.markdown(f"**Over {plan.scenario.years} years**, uprated {md(plan.uprating)}")
        _table(pd.DataFrame({
            "Year": plan.years["financial_year"],
            "Service lines £": plan.years["services_pence"] / 100,
            "Ideas pot £": plan.years["ideas_pence"] / 100,
            "Pot £": plan.years["pot_pence"] / 100,
        }))
    return plan


def _ideas_editor(opened) -> tuple[tuple[str, int], ...]:
    """Residents' own ideas with their costs (optional): projects in the ballot file."""
    start = pd.DataFrame(
        [(t, c / 100) for t, c in (opened.ideas if opened else ())], columns=["Idea", "Cost £"])
    with st.expander("Residents' ideas for the ideas pot (optional; they go in the ballot "
                     "file)"):
        st.caption("In the Hilgrove pilot ideas cost £250 to £25,000 each and the whole "
                   "estate voted on a shortlist.")
        edited = st.data_editor(
            start, num_rows="dynamic", hide_index=True, width="stretch",
            key=f"ideas::{opened.name if opened else ''}",
            column_config={"Idea": st.column_config.TextColumn(max_chars=120),
                           "Cost £": st.column_config.NumberColumn(min_value=0.01,
                                                                    format="%.2f")})
    rows = edited.dropna(subset=["Idea", "Cost £"])
    return tuple((str(r["Idea"]), round(float(r["Cost £"]) * 100)) for _, r in rows.iterrows()
                 if str(r["Idea"]).strip())


def _scenarios(con, book, brief, plan, year: str) -> None:
    st.markdown("**Scenarios** (saved with this data set; the link names the open one)")
    with st.form("save_scenario", clear_on_submit=True, border=False):
        name = st.text_input("Scenario name", placeholder="e.g. cut caretaking by 10%",
                             key="scenario_name")
        over = st.checkbox("Save over a scenario of that name", key="scenario_over")
        if st.form_submit_button("Save scenario", disabled=plan is None):
            try:
                saved = book.save(dataclasses.replace(plan.scenario, name=name),
                                  overwrite=over)
            except PlacespendError as exc:
                st.error(md(exc, 2000))
            else:
                st.session_state["_pending_scenario"] = saved.name
                st.rerun()
    current = st.session_state.get("scenario")
    if current:
        r1, r2, r3 = st.columns([3, 1, 1])
        new = r1.text_input("Rename the open scenario to", key="scenario_rename")
        if r2.button("Rename", key="scenario_rename_go") and new:
            try:
                st.session_state["_pending_scenario"] = book.rename(current, new).name
            except PlacespendError as exc:
                st.error(md(exc, 2000))
            else:
                st.rerun()
        if r3.button("Delete", key="scenario_delete"):
            book.delete(current)
            st.session_state["_pending_scenario"] = None
            st.session_state.pop("_opened_scenario", None)
            st.rerun()
    saved = [s for s in book.list(brief.estate_id) if s.financial_year == year]
    if not saved:
        return
    plans = []
    for s in saved:
        try:
            plans.append(scenarios.plan(con, s))
        except PlacespendError as exc:
            st.warning(md(exc, 2000))
    _table(pd.DataFrame({
        "Scenario": [p.scenario.name for p in plans],
        "Service lines £": [p.services_pence / 100 for p in plans],
        "Ideas pot £": [p.ideas_pence / 100 for p in plans],
        "Pot £": [p.pot_pence / 100 for p in plans],
        "Years": [p.scenario.years for p in plans],
    }))
    by_name = {p.scenario.name: p for p in plans}
    if st.session_state.get("compare"):
        st.session_state["compare"] = [n for n in st.session_state["compare"] if n in by_name]
    picked = st.multiselect("Compare side by side (2 to 4)", list(by_name), key="compare",
                            bind="query-params", max_selections=scenarios.COMPARE_MAX)
    if len(picked) >= 2:
        shown = [by_name[n] for n in picked]
        _table(meeting.comparison_display(shown))
        st.plotly_chart(_labelled(meeting.comparison_chart(shown),
                                  {"is_demo": brief.is_demo, "label": brief.data_label}),
                        key="compare_chart", width="stretch")
    pack = [by_name[n] for n in picked] if len(picked) >= 2 else plans
    st.download_button(
        f"Meeting pack (PDF, {len(pack)} scenario{'s' if len(pack) > 1 else ''})",
        lambda: meeting.meeting_pack_pdf(pack),
        file_name=views.download_name(con, f"meeting_pack_{brief.estate_id}_{year}.pdf"),
        mime="application/pdf", on_click="ignore", key="dl_meeting_pack",
        help="The compared scenarios (or every saved one) in plain words, printable in black "
        "and white.")


def page_exports(db: str, con, facts: dict, state: dict) -> None:
    st.header("Exports")
    estate_id, year = state["estate"], state["year"]
    label = facts["label"]
    st.markdown(f"Every file carries the data label **{label}**.")
    default = facts["default_year"]
    if year is None:
        st.caption("Financial year: all years in the store, summed (pick one in the sidebar).")
    elif default and year == default.year:
        st.caption(f"Financial year {year}: {md(default.reason)}")
    else:
        st.caption(f"Financial year {year}, as picked in the sidebar.")
    st.subheader("Spend by estate, service, basis and key")
    scope = st.radio("Which estates", ["The selected estate", "All estates"], key="export_scope",
                     horizontal=True, index=0 if estate_id else 1)
    one = estate_id if scope == "The selected estate" else None
    if scope == "The selected estate" and estate_id is None:
        st.info("Pick an estate in the sidebar, or choose all estates.")
        return
    stem = views.export_stem(con, one, year)
    if one:
        ov = _overview(db, one, year, con)
        st.metric(f"{md(ov.name)}, {state['year_text']}", money.exact(ov.total_pence))
    cols = st.columns(3)
    cols[0].download_button(  # bytes, not a callable: cheap, and kept while the button shows
        "Spend by service (CSV)", views.export_csv(con, one, year),
        file_name=f"{stem}.csv", mime="text/csv", on_click="ignore", key="dl_csv",
        help="One row per estate, year, service, basis and key, exactly as "
        "`placespend export` writes it.",
    )
    if one:
        cols[1].download_button(
            "Estate summary (XLSX)", lambda: reports.estate_xlsx(con, one, year),
            file_name=f"{stem}.xlsx", on_click="ignore", key="dl_xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            help="Sheets: summary, by service, source lines, method, reconciliation, capital and "
            "services (and residents' priorities, when kept for the estate). Takes a few seconds.",
        )
        cols[2].download_button(
            "Estate summary (PDF)", lambda: reports.estate_pdf(con, one, year),
            file_name=f"{stem}.pdf", mime="application/pdf", on_click="ignore", key="dl_pdf",
            help="A printable summary with the estate's outline.",
        )
    st.subheader("Map layer")
    what = "This estate" if one else "Every estate"
    st.download_button(
        f"{what} with totals (GeoJSON, WGS84)", lambda: views.export_geojson(con, year, one),
        file_name=f"{stem}.geojson", mime="application/geo+json", on_click="ignore",
        key="dl_geojson",
        help="Amounts as numbers in pounds (a GIS can colour by them), wards by code and name.",
    )


def page_method(db: str, con, facts: dict, state: dict) -> None:
    st.header("How the figures are made")
    st.markdown(
        "Councils pay for services borough- or ward-wide; placespend shares each payment out to "
        "estates in proportion to a **key** that suits the service (households for caretaking, "
        "green space for grounds maintenance, …), in whole pence, so every pound lands "
        "somewhere: on an estate, in the rest of a ward, or on the **excluded** line "
        "(levies, interest, payroll). Every figure says whether it is **direct** (an estate's "
        "own contract) or **apportioned** (by which key, over which scope)."
    )
    st.subheader("Reconciliation of this data")
    rec = reconcile(con)
    if rec.ok:
        st.success("Money is conserved to the penny.")
    else:
        st.error("Money is NOT conserved: rebuild the store and report this.")
    st.dataframe(views.reconciliation_table(rec), hide_index=True, width="stretch")
    st.subheader("How well the estates cover council homes")
    coverage, overall = _coverage(db, con)
    st.markdown(
        f"The estates hold **{overall['council_households_covered']:.0%}** of the borough's "
        "council-renting households (2011 census, split inside each output area by residential "
        f"footprint). {overall['estates_over_limit']} estate(s) have more than "
        f"{views.NONRESIDENTIAL_LIMIT:.0%} of their area in railway, commercial, campus, park or "
        "water land. Boundaries marked *derived from homes* are drawn by placespend, not the "
        "council's."
    )
    st.dataframe(views.estate_coverage_display(coverage), hide_index=True, width="stretch")
    st.subheader("Keys")
    st.dataframe(views.keys_table(), hide_index=True, width="stretch")
    st.markdown("Which key each service uses:")
    st.dataframe(views.service_keys_table(facts["services"]), hide_index=True, width="stretch")
    notes = facts["info"].get("notes") or []
    if notes:
        st.subheader("Notes from the build")
        for note in notes:
            st.markdown(f"- {md(note, 1000)}")
    for name, title in (("METHOD.md", "Method in full"), ("ACCURACY.md", "How right is it?"),
                        ("boundaries", "Data sources and licences"),
                        ("DEMO_DATA.md", "About the demo spend")):
        document = views.doc(name)
        if document is None:
            continue
        with st.expander(f"{title}: {document.title}"):
            for kind, part in document.parts:
                if kind == "image":
                    st.image(part)
                else:
                    st.markdown(part)


def page_upload(db: str, con, facts: dict, state: dict) -> None:
    st.header("Your own data")
    st.markdown(
        "Upload a spend export (Camden's format, or any council's with a column mapping), a "
        "contracts register and/or an estates file. They are checked row by row and built "
        "into a **separate** database; the default one is never changed. Files you leave out "
        "use the defaults (without spend, the synthetic demo spend)."
    )
    with st.form("upload"):
        spend = st.file_uploader("Spend export(s) (CSV)", type=["csv"],
                                 accept_multiple_files=True)
        contracts = st.file_uploader("Contracts register (CSV)", type=["csv"])
        estates = st.file_uploader("Estates (GeoJSON, GeoPackage, GeoParquet, FlatGeobuf)",
                                   type=["geojson", "json", "gpkg", "parquet", "fgb"])
        mapping = st.file_uploader("Column mapping for a non-Camden spend file (YAML/JSON)",
                                   type=["yaml", "yml", "json"])
        contracts_mapping = st.file_uploader(
            "Contracts mapping for a council's own register (YAML/JSON): its reference, "
            "supplier, title, start, end and value columns", type=["yaml", "yml", "json"])
        st.caption(
            f"Each file may be at most {_upload_limit_mb()} MB (the server's "
            "`server.maxUploadSize`); spend files of several years can be uploaded together."
        )
        name = st.text_input("Name for this data set", placeholder="e.g. camden-2024 "
                             "(default: the date and time)")
        submitted = st.form_submit_button("Check and build", type="primary")
    if submitted:
        st.session_state.pop("_mapping_review", None)  # a new upload, a new review
        files = [uploads.UploadedFile("spend", f.name, f.getvalue()) for f in spend or []]
        for kind, f in (("contracts", contracts), ("estates", estates), ("mapping", mapping),
                        ("contracts_mapping", contracts_mapping)):
            if f is not None:
                files.append(uploads.UploadedFile(kind, f.name, f.getvalue()))
        if files:
            _build_dataset(lambda step: uploads.build_upload(name, files, on_step=step),
                           upload=(name, files))
        else:
            st.error(
                f"No file arrived. The browser refuses any file over {_upload_limit_mb()} MB "
                "before it is sent (the box shows the file struck out): split a bigger export "
                "by year or month and upload the parts together, or build it from the command "
                "line with `placespend build --spend FILE`."
            )
    review = st.session_state.get("_mapping_review")
    if review is not None:
        _mapping_review(review)
    _ingest_report(con, facts)
    built = views.datasets()[1:]
    if built:
        st.subheader("Built uploads")
        st.caption("Switch between them with **Data set** at the top of the sidebar.")
        st.dataframe(pd.DataFrame({"Data set": [d.key for d in built],
                                   "File": [str(d.db_path) for d in built]}),
                     hide_index=True, width="stretch")


def _ingest_report(con, facts: dict) -> None:
    """What the current data set's spend files gave, and the rows they did not."""
    report = views.ingest_report(con)
    st.subheader(f"What was read: {md(facts['label'])}")
    (st.warning if report.needs_attention else st.caption)(report.summary())
    _table(report.files, column_config={
        "Share not accepted": st.column_config.NumberColumn(format="percent")})
    if report.rows_quarantined:
        st.markdown("**Why rows were not accepted**")
        _table(report.reasons)
        st.download_button("Download the rows not accepted (CSV)",
                           lambda: views.quarantine_csv(con),
                           file_name=views.download_name(con, "rows_not_accepted.csv"),
                           mime="text/csv", on_click="ignore", key="dl_quarantine",
                           help="Each row as published, with its file, line and reason.")


def _mapping_review(review: uploads.MappingReview) -> None:
    """The mapping suggested for a spend file of no known layout: check, edit, build."""
    st.subheader("Check the column mapping suggested for your spend file")
    st.warning(md(review.problem, 2000, lines=True))
    st.markdown(
        "placespend guessed which column holds what from the file's header words and values. "
        "Check every field below (the confidence and the evidence say how sure each guess "
        "is), edit the mapping if a column is wrong or missing, then build with it."
    )
    st.dataframe(review.fields, hide_index=True, width="stretch", column_config={
        "Confidence": st.column_config.ProgressColumn(format="percent", min_value=0,
                                                      max_value=1)})
    text = st.text_area("Column mapping (YAML), as it will be used", review.yaml, height=320,
                        key="mapping_review_yaml")
    cols = st.columns(2)
    cols[1].download_button("Save the mapping (YAML)", text.encode("utf-8"),
                            file_name=uploads.REVIEWED_MAPPING_NAME, mime="application/x-yaml",
                            on_click="ignore", key="dl_mapping_review",
                            help="Keep it to build later files of this council with --mapping.")
    if cols[0].button("Build with this mapping", type="primary", key="mapping_review_build"):
        files = review.files_with(text)
        _build_dataset(lambda step: uploads.build_upload(review.name, files, on_step=step),
                       upload=(review.name, review.files))


def _upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def _build_dataset(make, upload: tuple[str, list] | None = None) -> None:
    """Build a data set with ``make(on_step)``, then switch to it (or show what to fix).

    ``upload`` (the name and files) lets a spend file of no known layout be offered the
    mapping suggested for it, to review on the upload page instead of an error."""
    problem = None
    with st.status("Checking and building…", expanded=True) as status:
        try:
            dataset = make(st.text)
        except PlacespendError as exc:
            problem = exc
            status.update(label="Your files need fixing (see below)", state="error",
                          expanded=False)
        except Exception:
            status.update(label="The build stopped (see below)", state="error", expanded=False)
            raise
        else:
            status.update(label=f"Built {md(dataset.label)}", state="complete",
                          expanded=False)
    if problem is not None:
        review = upload and uploads.mapping_review(*upload, problem)
        if review:
            st.session_state["_mapping_review"] = review
            st.rerun()  # the page shows the review in place of the error
        _show_problem(problem)
        return
    st.session_state.pop("_mapping_review", None)
    with views.open_store(dataset.db_path) as built:
        report = views.ingest_report(built)
    built_text = f"Built **{md(dataset.label)}** and switched to it."
    st.session_state["_switch_to"] = dataset.key
    st.session_state["_notice"] = (
        ("warning", f"{built_text} {report.summary()} The table below says which and why.")
        if report.needs_attention else ("success", built_text)
    )
    st.rerun()


# ---- the error boundary --------------------------------------------------------------------


def _show_problem(exc: PlacespendError) -> None:
    """A problem with the user's data or store: its message, shown as text."""
    st.error(md(exc, 4000, lines=True), icon=":material/error:")


def _show_unexpected(exc: Exception) -> None:
    """A bug: a short message and a reference; the traceback goes to the server log only."""
    reference = uuid.uuid4().hex[:8]
    LOG.error("unexpected error, reference %s", reference, exc_info=exc)
    st.error(
        f"Something went wrong that placespend did not expect (reference {reference}). "
        "Your files and the stores are unchanged. Reload the page to carry on; if it happens "
        "again, report it with this reference, which marks the details in the server's log.",
        icon=":material/bug_report:",
    )


def page_classify(db: str, con, facts: dict, state: dict) -> None:
    from pathlib import Path

    from placespend import catalogue, classify

    st.header("Classify")
    cov = classify.coverage(con)
    st.metric("Share of spend (£) the rules classify", f"{cov.share:.1%}")
    if cov.is_demo:
        st.caption(md(classify.DEMO_COVERAGE_NOTE))
    db_path = Path(db.rsplit(":", 1)[0])
    mine = paths.beside_store(db_path, paths.USER_CATALOGUE_NAME)
    st.markdown(md(
        f"Confirm a service for the largest labels no rule matches. Each choice is written as a "
        f"rule to this data set's own catalogue ({mine}; the shipped catalogue is never "
        f"edited), and the data set is rebuilt with it."))
    todo = classify.unclassified(con, limit=10)
    if todo.empty:
        st.success("Every label is classified.")
        return
    ids = [s.id for s in catalogue.load_catalogue(mine if mine.exists() else None).services]
    for i, row in enumerate(todo.itertuples()):
        label = " / ".join(v if isinstance(v, str) else "(blank)"
                           for v in (row.org_unit, row.purpose))
        with st.container(border=True):
            st.markdown(md(f"**{label}**: {money.whole(row.gross_pence)} in {row.lines:,} lines"))
            st.caption(md(f"Top payees: {row.payees or '(redacted or blank)'}"))
            offered = [sid for sid, _ in row.suggestions]
            options = offered + [sid for sid in ids if sid not in offered]
            hints = {sid: f" (suggested, {score:.0%} alike)" for sid, score in row.suggestions}
            choice = st.selectbox("Service", options, key=f"classify_choice_{i}",
                                  format_func=lambda sid, h=hints: f"{sid}{h.get(sid, '')}")
            if st.button("Confirm and rebuild", key=f"classify_confirm_{i}"):
                org = row.org_unit if isinstance(row.org_unit, str) else None
                purpose = row.purpose if isinstance(row.purpose, str) else None
                classify.add_rule(mine, choice, org, purpose,
                                  f"Confirmed on the Classify page: {label} is {choice}.")
                with st.spinner("Rebuilding with your catalogue…"):
                    after = classify.rebuild(db_path, mine)
                # DuckDB hands a new connection to a path the open instance on the replaced
                # file while that instance lives: close it so the next run reads the rebuild.
                held = st.session_state.pop("_cursor", None)
                if held is not None:
                    held[1].close()
                _connection(str(db_path), float(db.rsplit(":", 1)[1])).close()
                _connection.clear()
                st.cache_data.clear()
                st.session_state["_notice"] = (
                    "success", md(f"Rule added to {mine}; rules now classify "
                                  f"{after.share:.1%} of spend (was {cov.share:.1%})."))
                st.rerun()


@st.cache_resource(show_spinner="Reading the blocks and output areas…")
def _editor_layers(db: str, _con) -> ed.Layers:
    return ed.load_layers(_con)


def _editor_draft(db: str, con) -> tuple[ed.Draft, ed.Draft]:
    """This session's draft of the data set's estates (begun again when the store is rebuilt),
    and the estates it started from."""
    held = st.session_state.get("_editor")
    if held is None or held[0] != db:
        start = ed.draft_from_store(con, st.session_state.get("data") or "default")
        held = st.session_state["_editor"] = (db, start, start)
    return held[1], held[2]


def _editor_do(change, *args, **kwargs) -> None:
    """Apply ``change(draft, ...)`` to the session's draft; a refusal is kept to show."""
    db, draft, start = st.session_state["_editor"]
    try:
        out = change(draft, *args, **kwargs)
    except PlacespendError as exc:
        st.session_state["_editor_problem"] = exc
        return
    if isinstance(out, tuple):  # a new estate: edit it next
        out, st.session_state["editor_estate"] = out
    st.session_state["_editor"] = (db, out, start)
    _editor_clear()


def _editor_clear() -> None:
    """Empty the pick lists (their options change) and start a fresh map selection."""
    for key in (*ed.PICK_LISTS, "new_blocks"):
        st.session_state[f"ed_{key}"] = []
    st.session_state["_editor_gen"] = st.session_state.get("_editor_gen", 0) + 1


def _editor_click(key: str, eid: str, layers: ed.Layers) -> None:
    for kind, item, inside in ed.picked(st.session_state.get(key)):
        if st.session_state.get("ed_click") == "Pick for a new estate":
            if kind == "block" and not inside:
                st.session_state["ed_new_blocks"] = [*st.session_state.get("ed_new_blocks", []),
                                                     item]
            st.session_state["_editor_gen"] = st.session_state.get("_editor_gen", 0) + 1
        else:
            _editor_do(ed.toggle, eid, layers, kind, item, inside)


def page_editor(db: str, con, facts: dict, state: dict) -> None:
    st.header("Edit estates")
    st.markdown(
        "Correct an estate's outline from the blocks (residential building footprints) and "
        "output-area pieces around it: pick them in the lists, or click them on the map "
        "(vermillion: in the estate, a click takes it out; blue: in no estate, a click adds "
        "it; grey: another estate's). Households follow the census split the build uses. "
        "Save as a data set of its own; the data set you started from is never changed.")
    layers = _editor_layers(db, con)
    draft, start = _editor_draft(db, con)
    names = dict(zip(draft.estates["estate_id"], draft.estates["name"], strict=True))
    if st.session_state.get("editor_estate") not in names:
        st.session_state["editor_estate"] = (state["estate"] if state["estate"] in names
                                             else next(iter(names)))
    eid = st.selectbox("Estate to edit", list(names), format_func=names.get, key="editor_estate",
                       on_change=_editor_clear)
    problem = st.session_state.pop("_editor_problem", None)
    if problem is not None:
        _show_problem(problem)
    before, now = ed.before_and_now(start, draft, eid, layers)
    for col, (field, label) in zip(st.columns(3), ed.FIGURES.items(), strict=True):
        change = round(now[field] - before[field], 1)
        col.metric(label, f"{now[field]:,.1f}", f"{change:+,.1f}" if change else None)
    blocks, pieces = ed.near_blocks(draft, eid, layers), ed.near_pieces(draft, eid, layers)
    choices = ed.pick_lists(blocks, pieces)
    left, right = st.columns([3, 2])
    key = f"editor-map-{st.session_state.get('_editor_gen', 0)}"
    with left:
        st.radio("A click on the map", ["Adds or removes it", "Pick for a new estate"],
                 key="ed_click", horizontal=True)
        st.pydeck_chart(ed.deck(draft, eid, blocks, pieces, _geometry(db, con)[0]), key=key,
                        on_select=functools.partial(_editor_click, key, eid, layers),
                        selection_mode="single-object", height=520,
                        alt="Map of the estate's blocks and output-area pieces; the lists "
                        "beside it hold the same choices.")
    with right, st.form("editor_change"):
        for name, label in ed.PICK_LISTS.items():
            st.multiselect(label, list(choices[name]), format_func=choices[name].get,
                           key=f"ed_{name}", placeholder="Type a block or area code…")
        st.form_submit_button("Apply changes", type="primary", on_click=lambda: _editor_do(
            ed.apply, eid, layers, {n: st.session_state[f"ed_{n}"] for n in ed.PICK_LISTS}))
    with right, st.expander("Name and aliases"), st.form("editor_name"):
        row = draft.estate(eid)
        st.text_input("Name", row["name"], key=f"ed_name_{eid}")
        st.text_area("Aliases (one a line)", "\n".join(row["aliases"].split("; ")),
                     key=f"ed_aliases_{eid}")
        st.form_submit_button("Save name and aliases", on_click=lambda: _editor_do(
            ed.rename, eid, st.session_state[f"ed_name_{eid}"],
            st.session_state[f"ed_aliases_{eid}"]))
    with right, st.expander("New estate from picked blocks"), st.form("editor_new"):
        st.text_input("Name of the new estate", key="ed_new_name")
        st.multiselect("Blocks", list(choices["add_blocks"]), key="ed_new_blocks",
                       format_func=choices["add_blocks"].get)
        st.form_submit_button("Create the estate", on_click=lambda: _editor_do(
            ed.new_estate, st.session_state["ed_new_name"], layers,
            st.session_state["ed_new_blocks"]))
    _editor_save(draft, con)


def _editor_save(draft: ed.Draft, con) -> None:
    st.subheader("Save the estates")
    st.text(ed.summary(draft))
    name = st.text_input("Name for the estates layer", key="ed_layer_name",
                         placeholder="e.g. camden-estates-corrected")
    try:
        ed.check(draft)
    except PlacespendError as exc:
        _show_problem(exc)
        return
    cols = st.columns(2)
    cols[0].download_button("Download the estates layer (GeoJSON)", lambda: ed.to_geojson(draft),
                            on_click="ignore",
                            file_name=f"{uploads.upload_name(name)}.geojson",
                            mime="application/geo+json", key="dl_estates_layer",
                            help="Rebuild with `placespend build --estates FILE`.")
    if cols[1].button("Save as a data set", type="primary", disabled=not draft.changes):
        _build_dataset(lambda step: ed.save_dataset(draft, name, con, on_step=step))


RENDER = {
    "Map": page_map,
    "Estate": page_estate,
    "Compare": page_compare,
    "PB pot": page_pot,
    "System financing": page_pool,
    "Exports": page_exports,
    "Method": page_method,
    "Your own data": page_upload,
    "Edit estates": page_editor,
    "Classify": page_classify,
}


def main() -> None:
    _ensure_default()
    dataset = _choose_dataset()
    db, con = _cursor(dataset)
    facts = _facts(db, con)
    st.sidebar.divider()
    _restore_view(facts)
    state = _sidebar(facts)
    notice = st.session_state.pop("_notice", None)
    if notice:
        kind, text = notice
        (st.warning if kind == "warning" else st.success)(text)
    if facts["is_demo"]:
        st.warning(
            f"**{facts['label']}.** Every figure here comes from a seeded synthetic spend file "
            "in Camden's format; boundaries and census counts are real. Bring your own spend on "
            "the *Your own data* page.",
            icon=":material/warning:",
        )
    if not facts["years"]:
        st.error("This store holds no spend. Rebuild it with your spend files.")
        return
    RENDER[state["page"]](db, con, facts, state)
    _write_view(facts, state)


try:
    main()
except PlacespendError as exc:
    _show_problem(exc)
except Exception as exc:  # the boundary: no traceback (or server path) reaches the page
    _show_unexpected(exc)
