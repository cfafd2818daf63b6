"""The industry map: the value chain (产业全景图), its players, the chip routes and the chain 芯片—服务器—云平台—模型应用.

Queries return plain DataFrames or lists of dicts (cacheable, language-free where possible); the
`*_cards` functions shape rows for display in one language. Figure builders live in
`analysis.industry_charts`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analysis import data
from analysis.db import query
from analysis.format import format_figure, is_blank
from analysis.i18n import normalize_lang, t
from analysis.notes import note_text
from analysis.tables import figure_label

# The panorama chart's own source row names the root of the value-chain tree.
PANORAMA_SOURCE_ID = "qb_panorama"
ALL = "all"  # the "no filter" choice of the layer and route filters
NODE_LEVEL_LAYER = 1
# Lists in a cell are joined by a bare ";" (a "; " followed by a space is prose punctuation).
LIST_SEPARATOR = r";(?!\s)"


# ---------------------------------------------------------------- the value chain


def value_chain(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The panorama's nodes with their top-level layer and the players placed at or below each node."""
    nodes = query(con, "SELECT * FROM value_chain ORDER BY level, sort_order")
    parents = dict(zip(nodes["node_id"], nodes["parent_id"], strict=True))
    nodes["layer_id"] = [_layer_of(n, parents) for n in nodes["node_id"]]
    placed = query(con, "SELECT DISTINCT player_id, node_id FROM player_products WHERE node_id IS NOT NULL")
    players_below: dict[str, set[str]] = {n: set() for n in nodes["node_id"]}
    for player_id, node_id in placed.itertuples(index=False):
        for ancestor in _path_to_root(node_id, parents):
            players_below[ancestor].add(player_id)
    nodes["player_count"] = [len(players_below[n]) for n in nodes["node_id"]]
    return nodes


def _path_to_root(node_id: str, parents: dict) -> list[str]:
    path = [node_id]
    while not is_blank(parents.get(path[-1])):
        path.append(parents[path[-1]])
        if len(path) > len(parents):
            raise ValueError(f"value_chain has a cycle through {node_id!r}")
    return path


def _layer_of(node_id: str, parents: dict) -> str:
    return _path_to_root(node_id, parents)[-1]


def panorama_root(con: duckdb.DuckDBPyConnection) -> dict:
    """The root of the tree: the panorama chart's source row (its section title is the chart's name)."""
    frame = query(con, "SELECT source_id, report_section FROM sources WHERE source_id = ?", [PANORAMA_SOURCE_ID])
    if frame.empty:
        raise ValueError(f"source {PANORAMA_SOURCE_ID!r} is missing: the value chain has no root")
    return frame.iloc[0].to_dict()


def placed_player_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many players have at least one product placed in the panorama."""
    return int(query(con, "SELECT count(DISTINCT player_id) AS n FROM player_products WHERE node_id IS NOT NULL")["n"].iloc[0])


def company_count_text(count: int, lang: str) -> str:
    return t("industry.companies_one" if count == 1 else "industry.companies_many", lang, count=count)


def node_choices(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """node id -> label for the node picker, in tree order: the root first, children indented."""
    nodes = value_chain(con)
    root = panorama_root(con)
    labels = {
        root["source_id"]: t("industry.node_all", lang, name=t("industry.root_label", lang, section=root["report_section"]))
    }
    children: dict[str, list[dict]] = {}
    for row in nodes.to_dict("records"):
        children.setdefault("" if is_blank(row["parent_id"]) else row["parent_id"], []).append(row)

    def visit(parent: str, depth: int) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: r["sort_order"]):
            labels[row["node_id"]] = f"{'　' * depth}{row[f'name_{normalize_lang(lang)}']}"
            visit(row["node_id"], depth + 1)

    visit("", 0)
    return labels


def layers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "SELECT * FROM value_chain WHERE level = ? ORDER BY sort_order", [NODE_LEVEL_LAYER])


def routes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "SELECT * FROM routes ORDER BY sort_order")


def layer_choices(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """The layer filter: "all" first, then the panorama's layers top to bottom."""
    frame = layers(con)
    return {ALL: t("industry.filter.all_layers", lang)} | dict(
        zip(frame["node_id"], frame[f"name_{normalize_lang(lang)}"], strict=True)
    )


def route_choices(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """The route filter: "all" first, then the two main routes and the newer ones."""
    frame = routes(con)
    return {ALL: t("industry.filter.all_routes", lang)} | dict(
        zip(frame["route_id"], frame[f"name_{normalize_lang(lang)}"], strict=True)
    )


def route_named_companies(con: duckdb.DuckDBPyConnection, route_id: str, lang: str) -> str:
    """The companies the report names for a newer route ('' for the main routes or none named)."""
    frame = query(
        con,
        "SELECT a.companies_zh, a.companies_en FROM routes r JOIN new_architectures a ON a.arch_id = r.arch_id WHERE r.route_id = ?",
        [route_id],
    )
    if frame.empty or is_blank(frame.iloc[0][f"companies_{normalize_lang(lang)}"]):
        return ""
    return frame.iloc[0][f"companies_{normalize_lang(lang)}"].replace(";", "、" if normalize_lang(lang) == "zh" else ", ")


# ---------------------------------------------------------------- players


def products(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every product with its player, its panorama node and layer, and its route."""
    frame = query(
        con,
        """
        SELECT pp.*, p.name_zh AS player_zh, p.name_en AS player_en, p.sort_order AS player_order,
               v.name_zh AS node_zh, v.name_en AS node_en, r.name_zh AS route_zh, r.name_en AS route_en
        FROM player_products pp
        JOIN players p ON p.player_id = pp.player_id
        LEFT JOIN value_chain v ON v.node_id = pp.node_id
        LEFT JOIN routes r ON r.route_id = pp.route_id
        ORDER BY p.sort_order, pp.product_order
        """,
    )
    layer_of = dict(zip(*_layer_column(con), strict=True))
    frame["layer_id"] = [None if is_blank(n) else layer_of[n] for n in frame["node_id"]]
    return frame


def _layer_column(con) -> tuple[list, list]:
    nodes = value_chain(con)
    return list(nodes["node_id"]), list(nodes["layer_id"])


def filter_player_ids(product_rows: pd.DataFrame, *, layer: str | None = None, route: str | None = None) -> list[str]:
    """Players with a product in `layer` and on `route` (the same product when both are given; None or "all": no filter)."""
    ordered = product_rows.sort_values(["player_order", "product_order"])
    mask = pd.Series(True, index=ordered.index)
    for column, wanted in (("layer_id", layer), ("route_id", route)):
        if wanted not in (None, ALL):
            mask &= ordered[column] == wanted
    if layer in (None, ALL) and route in (None, ALL):
        return list(dict.fromkeys(ordered["player_id"]))
    return list(dict.fromkeys(ordered.loc[mask, "player_id"]))


def claims(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every claim of every player; figure claims carry the figure's value, unit format and note."""
    rows = query(con, "SELECT * FROM player_claims ORDER BY player_id, claim_order")
    return _with_figures(con, rows)


def _with_figures(con, rows: pd.DataFrame) -> pd.DataFrame:
    figure_ids = [f for f in rows["figure_id"] if not is_blank(f)]
    figures = data.figures(con, figure_ids=figure_ids) if figure_ids else data.figures(con).iloc[0:0]
    figures = figures.drop(columns=["source_id"]).rename(columns={"note": "figure_note"})
    return rows.merge(figures, on="figure_id", how="left")


def source_lines(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """source id -> its one-line citation in `lang`."""
    sources = data.sources(con)
    return {sid: data.format_source_line(sources[sources["source_id"] == sid], lang) for sid in sources["source_id"]}


def profiles(
    con: duckdb.DuckDBPyConnection, *, layer: str | None = None, route: str | None = None, lang: str = "zh"
) -> list[dict]:
    """The players matching the filters, each with its layers, routes, products and claim cards, in report order."""
    lang = normalize_lang(lang)
    _check_choice(layer, set(layers(con)["node_id"]), "layer")
    _check_choice(route, set(routes(con)["route_id"]), "route")
    product_rows = products(con)
    wanted = filter_player_ids(product_rows, layer=layer, route=route)
    players = query(con, "SELECT * FROM players ORDER BY sort_order").set_index("player_id")
    claim_rows = claims(con)
    cites = source_lines(con, lang)
    layer_names = dict(zip(layers(con)["node_id"], layers(con)[f"name_{lang}"], strict=True))
    result = []
    for player_id in wanted:
        row = players.loc[player_id]
        own = product_rows[product_rows["player_id"] == player_id]
        result.append(
            {
                "player_id": player_id,
                "name": row[f"name_{lang}"],
                # The heading is shown only where the source line does not already name it (the worked examples).
                "case_heading": None if row["case_heading"] in cites[row["source_id"]] else row["case_heading"],
                "summary": row[f"summary_{lang}"],
                "summary_printed": row["summary_zh"],
                "source": cites[row["source_id"]],
                "note": note_text(row["note"], lang) or None,
                "layers": [name for layer_id, name in layer_names.items() if layer_id in set(own["layer_id"])],
                "routes": list(dict.fromkeys(own[f"route_{lang}"].dropna())),
                "products": [_product_card(p, lang, cites) for p in own.to_dict("records")],
                "claims": [
                    claim_card(c, lang, cites) for c in claim_rows[claim_rows["player_id"] == player_id].to_dict("records")
                ],
            }
        )
    return result


def _check_choice(value: str | None, known: set[str], what: str) -> None:
    if value not in (None, ALL) and value not in known:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(known))}")


def _product_card(row: dict, lang: str, cites: dict[str, str]) -> dict:
    return {
        "name": row[f"name_{lang}"],
        "node": None if is_blank(row["node_id"]) else row[f"node_{lang}"],
        "route": None if is_blank(row["route_id"]) else row[f"route_{lang}"],
        "source": cites[row["source_id"]],
        "placement": None if is_blank(row["placement_source_id"]) else cites[row["placement_source_id"]],
        "note": note_text(row["note"], lang) or None,
    }


def claim_card(row: dict, lang: str, cites: dict[str, str]) -> dict:
    """A claim as a card: a figure (value as read, label, as printed, kind) or a text (translation and original)."""
    notes = [note_text(n, lang) for n in (row.get("figure_note"), row.get("note")) if not is_blank(n)]
    card = {"source": cites[row["source_id"]], "note": "; ".join(notes) or None}
    if is_blank(row.get("figure_id")):
        return card | {"kind": "text", "text": row[f"text_{lang}"], "printed": row["text_zh"]}
    return card | {
        "kind": "figure",
        "figure_id": row["figure_id"],
        "label": figure_label(row, lang),
        "value": format_figure(row, row, lang),
        "printed": row["printed"],
        "figure_kind": t(f"kind.{row['kind']}", lang),
    }


# ---------------------------------------------------------------- a node of the map


def node_detail(con: duckdb.DuckDBPyConnection, node_id: str, lang: str) -> dict:
    """Everything the detail panel shows for one node: the node, its path, its players and its chain link."""
    lang = normalize_lang(lang)
    nodes = value_chain(con)
    root = panorama_root(con)
    cites = source_lines(con, lang)
    product_rows = products(con)
    if node_id == root["source_id"]:
        return {
            "node_id": node_id,
            "name": t("industry.root_label", lang, section=root["report_section"]),
            "path": [],
            "kind": t("industry.node_type.root", lang),
            "source": cites[root["source_id"]],
            "note": None,
            "attribution": None,
            "layer_id": None,
            "products": [],
            "layers": _layer_overview(layers(con), product_rows, lang),
            "route_id": None,
            "chain": None,
        }
    by_id = nodes.set_index("node_id")
    if node_id not in by_id.index:
        raise ValueError(f"unknown value-chain node {node_id!r}")
    row = by_id.loc[node_id]
    parents = dict(zip(nodes["node_id"], nodes["parent_id"], strict=True))
    path = list(reversed(_path_to_root(node_id, parents)))
    subtree = {n for n in nodes["node_id"] if node_id in _path_to_root(n, parents)}
    placed = product_rows[product_rows["node_id"].isin(subtree)]
    chain = [c for c in chain_cards(con, lang) if c["node_id"] == row["layer_id"]]
    route_ids = set(routes(con)["route_id"])
    return {
        "node_id": node_id,
        "name": row[f"name_{lang}"],
        "path": [by_id.loc[p, f"name_{lang}"] for p in path[:-1]],
        "kind": t(f"industry.node_type.{row['node_type']}", lang),
        "source": cites[row["source_id"]],
        "note": note_text(row["note"], lang) or None,
        "attribution": _attribution(row, lang, cites),
        "layer_id": row["layer_id"],
        "products": [_placed_product(p, lang, cites) for p in placed.to_dict("records")],
        "layers": [],
        "route_id": node_id if node_id in route_ids else None,
        "chain": chain[0] if chain else None,
    }


def _layer_overview(layer_rows: pd.DataFrame, product_rows: pd.DataFrame, lang: str) -> list[dict]:
    """For the root: each layer, top to bottom, with the companies that have products placed in it."""
    return [
        {
            "layer_id": layer["node_id"],
            "layer": layer[f"name_{lang}"],
            "players": list(dict.fromkeys(product_rows.loc[product_rows["layer_id"] == layer["node_id"], f"player_{lang}"])),
        }
        for layer in layer_rows.to_dict("records")
    ]


def _attribution(row, lang: str, cites: dict[str, str]) -> dict | None:
    if is_blank(row["company_zh"]):
        return None
    return {"company": row[f"company_{lang}"], "source": cites[row["company_source_id"]]}


def _placed_product(row: dict, lang: str, cites: dict[str, str]) -> dict:
    return _product_card(row, lang, cites) | {"player": row[f"player_{lang}"], "player_id": row["player_id"]}


# ---------------------------------------------------------------- the chain 芯片—服务器—云平台—模型应用


def chain_items(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    rows = query(
        con,
        """
        SELECT i.*, l.link_order, l.name_zh AS link_zh, l.name_en AS link_en, l.node_id
        FROM chain_items i JOIN chain_links l ON l.link_id = i.link_id
        ORDER BY l.link_order, i.item_order
        """,
    )
    return _with_figures(con, rows)


def maas_products(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The model services the panorama names in its MaaS layer (the chain's last link)."""
    return query(
        con,
        """
        SELECT v.* FROM value_chain v JOIN chain_links l ON l.node_id = v.parent_id
        WHERE l.link_id = ? AND v.node_type = ? ORDER BY v.sort_order
        """,
        ["model_app", "product"],
    )


def chain_cards(con: duckdb.DuckDBPyConnection, lang: str) -> list[dict]:
    """The four links in order, each with its cards; the model link also counts the panorama's MaaS products."""
    lang = normalize_lang(lang)
    cites = source_lines(con, lang)
    items = chain_items(con)
    links = query(con, "SELECT * FROM chain_links ORDER BY link_order")
    result = []
    for link in links.to_dict("records"):
        cards = [claim_card(r, lang, cites) for r in items[items["link_id"] == link["link_id"]].to_dict("records")]
        if link["link_id"] == "model_app":
            cards.insert(0, _maas_count_card(con, lang, cites))
        result.append(
            {
                "link_id": link["link_id"],
                "name": link[f"name_{lang}"],
                "node_id": link["node_id"],
                "note": note_text(link["note"], lang) or None,
                "cards": cards,
            }
        )
    return result


def _maas_count_card(con, lang: str, cites: dict[str, str]) -> dict:
    models = maas_products(con)
    names = "、".join(models["name_zh"]) if lang == "zh" else ", ".join(models["name_en"])
    return {
        "kind": "count",
        "label": t("industry.chain.maas_count_label", lang),
        "value": t("industry.chain.maas_count", lang, count=len(models)),
        "printed": names,
        "source": cites[PANORAMA_SOURCE_ID],
        "note": None,
    }


# ---------------------------------------------------------------- the two chip routes and the newer ones


def route_comparison(con: duckdb.DuckDBPyConnection, lang: str) -> list[dict]:
    """GPU and ASIC side by side: each aspect's items with their sources, and the profiled players on the route."""
    lang = normalize_lang(lang)
    cites = source_lines(con, lang)
    items = query(con, "SELECT * FROM chip_routes ORDER BY route_id, aspect, item_order")
    main = query(con, "SELECT * FROM routes WHERE family = ? ORDER BY sort_order", ["main"])
    product_rows = products(con)
    result = []
    for route in main.to_dict("records"):
        own = items[items["route_id"] == route["route_id"]]
        aspects = {}
        for aspect in ("definition", "advantage", "limitation", "representatives"):
            part = own[own["aspect"] == aspect]
            aspects[aspect] = [
                {"text": r[f"text_{lang}"], "note": note_text(r["note"], lang) or None} for r in part.to_dict("records")
            ]
        on_route = product_rows[product_rows["route_id"] == route["route_id"]]
        result.append(
            {
                "route_id": route["route_id"],
                "name": route[f"name_{lang}"],
                "aspects": aspects,
                "players": list(dict.fromkeys(on_route[f"player_{lang}"])),
                "source": "; ".join(cites[s] for s in dict.fromkeys([route["source_id"], *own["source_id"]])),
            }
        )
    return result


def new_routes(con: duckdb.DuckDBPyConnection, lang: str) -> pd.DataFrame:
    """The newer architectures with the companies the report names and the profiled players on each."""
    lang = normalize_lang(lang)
    cites = source_lines(con, lang)
    frame = query(
        con,
        """
        SELECT r.route_id, r.name_zh, r.name_en, a.level, a.player_type_zh, a.player_type_en,
               a.mechanism_zh, a.mechanism_en, a.companies_zh, a.companies_en, a.source_id, a.note
        FROM routes r JOIN new_architectures a ON a.arch_id = r.arch_id
        WHERE r.family = ? ORDER BY r.sort_order
        """,
        ["new"],
    )
    product_rows = products(con)
    sep = "、" if lang == "zh" else ", "
    return pd.DataFrame(
        {
            t("industry.col.route", lang): frame[f"name_{lang}"],
            t("industry.col.level", lang): [t(f"industry.level.{x}", lang) for x in frame["level"]],
            t("industry.col.player_type", lang): frame[f"player_type_{lang}"].fillna(""),
            t("industry.col.mechanism", lang): frame[f"mechanism_{lang}"].fillna("").str.replace(LIST_SEPARATOR, sep, regex=True),
            t("industry.col.companies", lang): frame[f"companies_{lang}"].fillna("").str.replace(LIST_SEPARATOR, sep, regex=True),
            t("industry.col.profiled", lang): [
                sep.join(dict.fromkeys(product_rows.loc[product_rows["route_id"] == r, f"player_{lang}"]))
                for r in frame["route_id"]
            ],
            t("industry.col.source", lang): [cites[s] for s in frame["source_id"]],
            t("industry.col.note", lang): [note_text(n, lang) for n in frame["note"]],
        }
    )
