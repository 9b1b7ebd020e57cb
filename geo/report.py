"""The committee pack: the ranked hub candidates as a workbook, an HTML report and its PDF.

:func:`write_committee_pack` takes the results of a pipeline run (:class:`geo.results.RunResult`:
the scenario, the regions, indicators and scores and, once the siting and plan stages have
run, the hubs, assignments, frontier, rule prices and network plan) and writes

- ``hub_candidates.xlsx``: one sheet each for the ranking, the proposed hubs, the region →
  hub assignments, the indicator metadata and the data sources; two header rows (Korean, then
  English), frozen under the headers, number formats and column widths set;
- ``ranking.csv`` and ``sources.csv``: the same ranking and sources tables (``utf-8-sig``);
- ``report.html``: one self-contained page, in Korean with English subtitles, readable
  offline (charts are inline PNG data URIs; no script, stylesheet, image or font is fetched);
- ``report.pdf``: the same page printed by headless chromium.

Charts are drawn with matplotlib in a CJK font (Noto Sans CJK KR where installed) found
through :mod:`matplotlib.font_manager`; without one the pack is refused rather than drawn
with empty boxes for the Korean names. Every text that comes from data is escaped by Jinja2.
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from geo import io, workers
from geo.catalogue import read_catalogue
from geo.config import PACKAGE
from geo.errors import GeoError
from geo.figures import (
    cjk_font, draw_frontier, draw_hub_map, draw_hub_overview, draw_pillar_profile, draw_rank_intervals,
    Outlines, drawing_geometry, frontier_figure, hub_overview_figure, load_matplotlib, mpl_font, png_uri,
    rank_interval_figure,
)
from geo.explain import placed_by_words, rule_words
from geo.labels import FAMILIES, PILLARS
from geo.tables import (
    assignment_table, check_run, display_names, drop_empty_columns, hub_table, metadata_table, ranking_table,
    region_codes, sources_table, split_codes,
)
from geo.workbook import write_workbook

__all__ = [
    "write_committee_pack", "ranking_table", "hub_table", "assignment_table", "metadata_table",
    "sources_table", "write_workbook", "render_html", "html_to_pdf", "cjk_font",
    "rank_interval_figure", "hub_overview_figure", "frontier_figure",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
]
CSS_FONTS = ('"Noto Sans CJK KR", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", '
             '"Nanum Gothic", "Noto Sans", "DejaVu Sans", sans-serif')

NORMALISATION_LABELS = {
    "minmax": ("최솟값–최댓값 정규화(0 = 최저 지역, 100 = 최고 지역)", "min–max scaling (0 = weakest region, 100 = strongest)"),
    "zscore": ("표준점수(z-score)", "z-scores"),
    "rank": ("순위 점수", "rank scores"),
}
AGGREGATION_LABELS = {
    "linear": ("가중 산술평균(기둥끼리 서로 보완)", "weighted arithmetic mean (pillars compensate each other)"),
    "geometric": ("가중 기하평균(약한 기둥을 덜 보완)", "weighted geometric mean (a weak pillar is compensated less)"),
}
OPTION_LABELS = {
    "minmax": ("최솟값–최댓값", "min–max"), "zscore": ("표준점수", "z-score"), "rank": ("순위", "rank"),
    "linear": ("산술평균", "linear"), "geometric": ("기하평균", "geometric"), "all": ("전체", "all draws"),
}


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------


def write_committee_pack(out_dir: Path, run, *, top: int = 20, pdf: bool = True) -> list[Path]:
    """Write the committee pack of a pipeline run into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Existing output folder (the pipeline's staging folder).
    run : geo.results.RunResult
        A run through at least the scoring stage; its ``siting`` and ``plan`` may be None
        (the pack then says that no hubs were sited and leaves their sheets out).
    top : int
        Candidates shown in the report's ranking and rank-interval chart.
    pdf : bool
        Also print ``report.pdf`` with headless chromium.

    Returns
    -------
    list of Path
        The files written: ``hub_candidates.xlsx``, ``ranking.csv``, ``sources.csv``,
        ``report.html`` and (with ``pdf``) ``report.pdf``.

    Raises
    ------
    InputError
        If the run lacks the scoring results.
    GeoError
        If no CJK font or no chromium is installed.
    """
    out_dir = Path(out_dir)
    check_run(run)
    sc = run.scenario
    ranking = ranking_table(run.scores, run.values, pillars=sc.pillar_names, indicator_ids=sc.indicator_ids,
                            hubs=run.hubs)
    sources = sources_table(run.metadata, rail=sc.network.rail)
    sheets = {"순위 Ranking": ranking}
    if run.hubs is not None:
        sheets["거점 Hubs"] = hub_table(run.hubs, run.units, run.scores)
    if run.assignments is not None:
        sheets["배정 Assignments"] = assignment_table(run.assignments, run.units)
    sheets["지표 Indicators"] = metadata_table(run.metadata, sc.pillars)
    sheets["출처 Sources"] = sources
    sheets = {k: drop_empty_columns(v) for k, v in sheets.items()}
    html_path = out_dir / "report.html"
    # chromium starts while the page is drawn, and prints it while the workbook and tables are written
    browser = _Chromium() if pdf else None
    try:
        io.write_text(render_html(run, top=top, sources=sources), html_path)
        printing = None if browser is None else browser.print_pdf(html_path, out_dir / "report.pdf")
        written = [write_workbook(out_dir / "hub_candidates.xlsx", sheets, metadata=run.metadata)]
        for name, table in (("ranking.csv", ranking), ("sources.csv", sources)):
            io.write_csv(table, out_dir / name, index=False)
            written.append(out_dir / name)
        written.append(html_path)
        if printing is not None:
            written.append(printing.wait())
    finally:
        if browser is not None:
            browser.close()
    return written


def render_html(run, *, top: int = 20, sources: pd.DataFrame | None = None) -> str:
    """The committee report as one self-contained HTML page (Korean with English subtitles).

    Sections: the scenario and its weights in words; the top ``top`` candidates with their
    rank intervals (chart and table); the proposed hubs (overview map and one profile per hub:
    map of hub and spokes, pillar chart, key indicators with units and sources, spokes,
    explanation); the sensitivity of the ranking; the data sources and attributions.
    """
    import jinja2

    check_run(run)
    font = cjk_font()
    if sources is None:
        sources = sources_table(run.metadata, rail=run.scenario.network.rail)
    s = run.scores.copy()
    s.index = region_codes(s.index)
    qn = display_names(run.units)
    s["name_ko"] = qn["display_ko"].reindex(s.index).fillna(s["name_ko"])
    if "name_en" in s.columns:
        s["name_en"] = qn["display_en"].reindex(s.index).fillna(s["name_en"])
    hubs = None if run.hubs is None else run.hubs.copy()
    if hubs is not None:
        hubs.index = region_codes(hubs.index)
        hubs["name_ko"] = qn["display_ko"].reindex(hubs.index)
        hubs["name_en"] = qn["display_en"].reindex(hubs.index)
    units = run.units.copy()
    units["name_ko"], units["name_en"] = qn["display_ko"], qn["display_en"]
    run = _RunView(run, units)
    minutes = _uses_minutes(hubs)
    # the maps (the overview and one per hub) are drawn in a second process where a core is
    # free, while this one draws the charts and writes the words (geo.workers; the same
    # figures either way)
    load_matplotlib()  # once, before the fork
    maps = None if hubs is None else workers.Later(lambda: _hub_maps(run, hubs, font))
    try:
        with mpl_font(font):
            interval_png = png_uri(draw_rank_intervals(s, hubs, top))
            matrix_png = None
            if {"need_index", "capability_index"} <= set(s.columns) and s["capability_index"].notna().any():
                from geo.indices import need_capability_matrix

                matrix_png = png_uri(need_capability_matrix(s, label=s["name_ko"], n_labels=10, korean=True), dpi=90)
            fr = None if run.siting is None else run.siting.frontier
            frontier_png = (png_uri(draw_frontier(fr), dpi=120)
                            if fr is not None and len(fr) and {"access_cost", "mean_capability"} <= set(fr.columns)
                            else None)
            cat = read_catalogue()
            profiles = [] if hubs is None else [_hub_profile(run, s, hubs, code, catalogue=cat) for code in hubs.index]
        map_pngs = {} if maps is None else maps.result()
    finally:
        if maps is not None:
            maps.close()
    overview_png = map_pngs.get("overview")
    for p in profiles:
        p["map_png"] = map_pngs[p["code"]]
    ctx = {
        "scenario": run.scenario,
        "css_fonts": CSS_FONTS,
        "n_units": len(run.units),
        "unit_ko": "읍면동" if run.scenario.units == "emd" else "시군구",
        "unit_en": "읍면동 (sub-districts)" if run.scenario.units == "emd" else "시군구 (districts)",
        "words": _scenario_words(run.scenario, run.metadata, run.units, n_hubs=None if hubs is None else len(hubs)),
        "pillar_rows": _pillar_rows(run.scenario, run.metadata),
        "top": top,
        "top_rows": _top_rows(s, hubs, top, run.scenario.pillar_names),
        "pillars": [(p, *PILLARS.get(p, (p, p))) for p in run.scenario.pillar_names],
        "interval_png": interval_png,
        "matrix_png": matrix_png,
        "draws": run.uncertainty.draws if run.uncertainty is not None else None,
        "hubs": hubs is not None,
        "hub_rows": [] if hubs is None else _hub_rows(hubs, s),
        "any_tiers": any(c in s.columns for c in ("need_tier", "capability_tier")),
        "overview_png": overview_png,
        "frontier_png": frontier_png,
        "rule_rows": _rule_rows(None if run.siting is None else run.siting.policy_costs, run.scenario, s,
                                minutes=minutes),
        "robust_rows": [] if hubs is None or "robustness" not in hubs.columns
        else _robust_rows(hubs, s, run.scenario, minutes=minutes),
        "minutes": minutes,
        "siting": _siting_words(hubs, run.assignments, {} if run.siting is None else run.siting.info),
        "profiles": profiles,
        "sens": _sensitivity(run.uncertainty, s, top),
        "sources": sources.to_dict("records"),
        "network_html": network_section(None if run.plan is None else run.plan.network),
        "attributions": list(dict.fromkeys(a for a in sources["attribution"] if a)),
    }
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(PACKAGE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fmt_num
    env.filters["pct"] = _fmt_pct
    env.filters["signed"] = _signed
    env.filters["capitalize_first"] = lambda x: str(x)[:1].upper() + str(x)[1:]
    return env.get_template("report.html").render(**ctx)


class _RunView:
    """A run seen with other units (qualified display names), everything else as it is."""

    def __init__(self, run, units):
        self._run, self.units = run, units

    def __getattr__(self, name):
        return getattr(self._run, name)


def _theme_line(plan, code: str) -> str | None:
    """A hub's theme, runner-ups, role and evidence in one line (plain text; the template escapes it)."""
    if plan is None or code not in plan.hubs.index:
        return None
    r = plan.hubs.loc[code]
    if not isinstance(r["theme"], str):
        return f"없음 · none ({r['theme_source']})"
    runner = str(r["runner_ups_ko"]).replace(";", ", ")
    role = f"주도 · lead ({str(r['lead_themes_ko']).replace(';', ', ')})" if r["role"] == "lead" else "지역 · regional"
    return (f"{r['theme_ko']} ({r['theme_en']})" + (f"; 차순위 · runner-ups {runner}" if runner else "")
            + f"; {role}; {r['evidence']}")


def network_section(plan) -> str:
    """The report section "the network" (already escaped HTML; empty without a plan):
    per hub its theme, runner-ups with their evidence, role, linked hubs with costs and the
    organisations it absorbs or coordinates; the isolated hubs; the source of the themes."""
    import html as _h

    if plan is None:
        return ""
    e = _h.escape
    unit = {"minutes": "분 · minutes", "km": "km (도로거리 추정 · road-distance proxy)"}[plan.cost_unit]
    rows = []
    for code, r in plan.hubs.iterrows():
        links = ", ".join(f"{x.split(':')[0]} ({x.split(':')[1]})" for x in str(r["link_costs"]).split(";") if x)
        rows.append(
            f"<tr><td>{e(str(r['hub_rank']))}. {e(str(r['name_ko']))} ({e(code)})</td>"
            f"<td>{e(str(r['theme_ko'] or '-'))}<span class=\"en\">{e(str(r['theme_en'] or '-'))}</span></td>"
            f"<td>{e(str(r['runner_ups_ko']).replace(';', ', '))}</td>"
            f"<td class=\"small\">{e(str(r['evidence']))}</td>"
            f"<td>{'주도 · lead: ' + e(str(r['lead_themes_ko']).replace(';', ', ')) if r['role'] == 'lead' else '지역 · regional'}</td>"
            f"<td class=\"small\">{e(links) or '고립 · isolated'}</td>"
            f"<td class=\"small\">{e(str(r['organisations_absorbed']).replace(';', ', '))}"
            f"{(' / 조정 · coordinate: ' + e(str(r['organisations_coordinated']).replace(';', ', '))) if r['organisations_coordinated'] else ''}</td></tr>")
    isolated = [f"{r['name_ko']} ({c})" for c, r in plan.hubs.iterrows() if r["isolated"]]
    un = plan.organisations[plan.organisations["hub_code"].isna()]
    return (
        "<section class=\"break\">\n<h2>네트워크 <span class=\"en\">The network</span></h2>\n"
        f"<p>거점별 주제는 연계 지역의 뿌리 공정에서 정했습니다. 근거: {e(plan.theme_source)}. "
        f"연결 비용 단위: {e(unit)}; 범위 {plan.reach:.0f}. "
        f"<span class=\"en\">Each hub's theme comes from the root processes of its catchment; it rests on "
        f"{e(plan.theme_source)}. Link costs in {e(unit)}; reach {plan.reach:.0f}.</span></p>\n"
        "<table class=\"ind\"><thead><tr><th>거점<span class=\"en\">Hub</span></th><th>주제<span class=\"en\">Theme</span></th>"
        "<th>차순위<span class=\"en\">Runner-ups</span></th><th>근거<span class=\"en\">Evidence</span></th>"
        "<th>역할<span class=\"en\">Role</span></th><th>연결 거점 (비용)<span class=\"en\">Linked hubs (cost)</span></th>"
        "<th>기관 (흡수 / 조정)<span class=\"en\">Organisations (absorb / coordinate)</span></th></tr></thead>\n<tbody>\n"
        + "\n".join(rows) + "\n</tbody></table>\n"
        f"<p>고립된 거점 <span class=\"en\">Isolated hubs</span>: {e(', '.join(isolated)) or '없음 · none'}. "
        f"위치를 알 수 없어 배정하지 못한 기관 <span class=\"en\">Organisations not assigned (no location)</span>: "
        f"{e(', '.join(un['name'].astype(str))) or '없음 · none'}.</p>\n</section>\n")


def html_to_pdf(html: Path, pdf: Path, *, chromium: str = CHROMIUM, timeout: float = 180) -> Path:
    """Print an HTML file to PDF with headless chromium.

    Raises
    ------
    GeoError
        If chromium is not installed, fails, or writes no PDF.
    """
    browser = _Chromium(chromium=chromium, timeout=timeout)
    try:
        return browser.print_pdf(html, pdf).wait()
    finally:
        browser.close()


# what chromium's own --print-to-pdf asks of the page (with --no-pdf-header-footer)
PRINT_OPTIONS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}


class _Chromium:
    """Headless chromium driven through its DevTools pipe (see :func:`html_to_pdf`).

    It is started when made, so that its start-up (about a second) passes while the page is
    still being drawn; :meth:`print_pdf` then has it load an HTML file and print it in the
    background (a thread that waits on the pipe), with the settings of chromium's own
    ``--print-to-pdf``, which gives the same PDF.
    """

    def __init__(self, *, chromium: str = CHROMIUM, timeout: float = 180):
        import fcntl

        exe = shutil.which(chromium) or (chromium if Path(chromium).is_file() else None)
        if exe is None:
            raise GeoError(f"chromium not found at {chromium}: the PDF report needs it",
                           hint="install it with: python3 tasks.py setup (apt-get install chromium)")
        self.timeout = timeout
        # a helper process still ending may leave a file behind: that must not fail the report
        self._tmp = tempfile.TemporaryDirectory(prefix="geo-chromium-", ignore_cleanup_errors=True)
        self._stderr = Path(self._tmp.name) / "stderr.txt"
        self._pid = None
        # chromium reads commands on its fd 3 and answers on its fd 4; our ends are first moved
        # above 4 so that placing them there cannot overwrite one with the other
        cmd_r, cmd_w = os.pipe()
        ans_r, ans_w = os.pipe()
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5) for fd in (cmd_r, ans_w)]
        for fd in (cmd_r, ans_w):
            os.close(fd)
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, str(self._stderr), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                   (os.POSIX_SPAWN_DUP2, theirs[0], 3), (os.POSIX_SPAWN_DUP2, theirs[1], 4)]
        args = [exe, *CHROMIUM_ARGS, f"--user-data-dir={Path(self._tmp.name) / 'profile'}", "--remote-debugging-pipe",
                "about:blank"]
        try:
            # its own process group, so that its helper processes can be stopped with it
            self._pid = os.posix_spawn(exe, args, dict(os.environ), file_actions=actions, setpgroup=0)
        finally:
            for fd in theirs:
                os.close(fd)
            if self._pid is None:
                os.close(cmd_w)
                os.close(ans_r)
                self._tmp.cleanup()
        self._out = os.fdopen(cmd_w, "wb", buffering=0)
        self._in = os.fdopen(ans_r, "rb", buffering=0)
        self._buf, self._id, self._events = b"", 0, []
        self._thread = None
        self._pdf: Path | None = None
        self._data: bytes | None = None
        self._error: str | None = None

    def print_pdf(self, html: Path, pdf: Path) -> "_Chromium":
        """Start printing ``html`` to ``pdf`` (:meth:`wait` waits for it)."""
        self.html, self._pdf = Path(html).resolve(), Path(pdf).resolve()
        self._pdf.unlink(missing_ok=True)
        self._thread = threading.Thread(target=self._print, args=(self.html.as_uri(),), daemon=True)
        self._thread.start()
        return self

    def wait(self) -> Path:
        """Wait for the PDF; it is written, made reproducible and returned, or GeoError."""
        self._thread.join(self.timeout)
        if self._thread.is_alive():
            raise GeoError(f"chromium did not print {self.html.name} within {self.timeout:.0f} s")
        if self._data is None or self._data[:5] != b"%PDF-":
            tail = [x for x in self._stderr.read_text(errors="replace").strip().splitlines()
                    if "dbus" not in x][-3:] if self._stderr.is_file() else []
            raise GeoError(f"chromium wrote no PDF for {self.html.name} ({self._error or 'no answer'})",
                           hint=" | ".join(tail) or None)
        self._pdf.write_bytes(self._data)
        return io.reproducible_pdf(self._pdf)

    def close(self) -> None:
        """Stop chromium and remove its profile folder. Nothing in the throwaway profile needs
        saving, so chromium and its helper processes (its process group) are killed rather than
        asked to shut down, which takes about half a second."""
        # chromium keeps its profile's lock socket in a folder of its own under the temporary
        # folder (the profile links to it); killed, it cannot remove it, so it goes with the profile
        try:
            self._socket_dir = Path(os.readlink(Path(self._tmp.name) / "profile" / "SingletonSocket")).parent
        except OSError:
            self._socket_dir = None
        if self._pid is not None:
            os.killpg(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
        self._out.close()
        self._in.close()
        if self._thread is not None:
            self._thread.join(1)
        # deleting the profile's files takes a few tenths of a second: a thread does it meanwhile
        # (not a daemon, so the interpreter waits for it before it exits)
        threading.Thread(target=self._remove_profile, name="geo-chromium-cleanup").start()

    def _remove_profile(self) -> None:
        sock = self._socket_dir
        if sock is not None and not (sock.name.startswith("org.chromium.Chromium.") and sock.is_dir()
                                     and {p.name for p in sock.iterdir()} <= {"SingletonSocket", "SingletonCookie"}):
            sock = None  # only the lock folder our chromium made, holding nothing else
        if sock is not None:
            shutil.rmtree(sock, ignore_errors=True)
        for _ in range(50):  # a helper process killed an instant ago may still have written a file
            self._tmp.cleanup()
            if not Path(self._tmp.name).exists():
                return
            time.sleep(0.1)

    def _print(self, url: str) -> None:
        try:
            # chromium's start-up page (chrome://headless/…) ends the renderers of tabs opened
            # before it closes: wait for that, and open the tab again should it still be lost
            self._call("Target.setDiscoverTargets", {"discover": True})
            startup = {e["params"]["targetInfo"]["targetId"] for e in self._events
                       if e.get("method") == "Target.targetCreated"
                       and e["params"]["targetInfo"].get("url", "").startswith("chrome://headless/")}
            while startup - {e["params"]["targetId"] for e in self._events if e.get("method") == "Target.targetDestroyed"}:
                self._events.append(self._receive())
            for _ in range(3):
                session = self._load(url)
                if session is None:
                    continue
                try:
                    data = self._call("Page.printToPDF", PRINT_OPTIONS, session=session)["data"]
                except GeoError:
                    if self._lost(session):
                        continue
                    raise
                self._data = base64.b64decode(data)
                return
            raise GeoError("the page's renderer ended three times")
        except (GeoError, OSError, EOFError, ValueError, KeyError) as err:
            self._error = str(err) or type(err).__name__

    def _lost(self, session: str) -> bool:
        return any(e.get("method") == "Target.detachedFromTarget" and e["params"].get("sessionId") == session
                   for e in self._events)

    def _load(self, url: str) -> str | None:
        """Open ``url`` in a new tab; its session once the page has loaded, None if the tab was lost."""
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            self._call("Page.enable", session=session)
            nav = self._call("Page.navigate", {"url": url}, session=session)
        except GeoError:
            if self._lost(session):
                return None
            raise
        if nav.get("errorText"):
            raise GeoError(f"cannot load the page: {nav['errorText']}")
        while not self._lost(session):
            if any(e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session for e in self._events):
                return session
            self._events.append(self._receive())
        return None

    def _send(self, method: str, params: dict | None = None, *, session: str | None = None) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        self._out.write(json.dumps(msg).encode() + b"\0")
        return self._id

    def _receive(self) -> dict:
        while b"\0" not in self._buf:
            chunk = self._in.read(1 << 16)
            if not chunk:
                raise EOFError("chromium closed its pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def _call(self, method: str, params: dict | None = None, *, session: str | None = None) -> dict:
        """Send a command and return its result; events that come meanwhile are kept."""
        key = self._send(method, params, session=session)
        while True:
            msg = self._receive()
            if msg.get("id") == key:
                if "error" in msg:
                    raise GeoError(f"{method}: {msg['error'].get('message', msg['error'])}")
                return msg.get("result", {})
            self._events.append(msg)


# ---------------------------------------------------------------------------------------------
# helpers: tables
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# helpers: words
# ---------------------------------------------------------------------------------------------


def _label(metadata: pd.DataFrame, i: str) -> tuple[str, str]:
    if i in metadata.index:
        return str(metadata.at[i, "label_ko"]), str(metadata.at[i, "label_en"])
    return i, i


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _scenario_words(sc, metadata: pd.DataFrame, units: pd.DataFrame, *, n_hubs: int | None) -> dict:
    """Plain-language sentences (ko, en) describing the scenario."""
    pw = sc.pillar_weights()
    ko, en = [], []
    parts_ko = ", ".join(f"{PILLARS.get(p, (p,))[0]} {_pct(w)}" for p, w in pw.items())
    parts_en = ", ".join(f"{PILLARS.get(p, (p, p))[1].lower()} {_pct(w)}" for p, w in pw.items())
    ko.append(f"종합 점수는 {len(pw)}개 기둥의 점수를 다음 비중으로 합칩니다: {parts_ko}.")
    en.append(f"The overall score combines {len(pw)} pillars with these weights: {parts_en}.")
    o = sc.scoring
    nk, ne = NORMALISATION_LABELS[o.normalisation]
    ko.append(f"각 지표는 {nk}로 환산한 뒤 기둥 안에서 가중 평균합니다.")
    en.append(f"Each indicator is put on a common scale by {ne}, then averaged with its weight within its pillar.")
    if o.winsorise is not None:
        ko.append(f"극단값의 영향을 줄이려고 하위 {100 * o.winsorise.lower:.1f}%·상위 "
                  f"{100 * (1 - o.winsorise.upper):.1f}% 값은 경계값으로 자릅니다.")
        en.append(f"To damp extremes, values below the {100 * o.winsorise.lower:.1f}th and above the "
                  f"{100 * o.winsorise.upper:.1f}th percentile are clipped.")
    ak, ae = AGGREGATION_LABELS[o.aggregation]
    ko.append(f"기둥 점수는 {ak}으로 합칩니다.")
    en.append(f"Pillar scores are combined by a {ae}.")
    if o.missing == "mean_of_available":
        ko.append(f"빠진 값은 0으로 채우지 않고, 기둥 지표의 {_pct(o.max_missing_share)} 이하가 빠진 지역은 "
                  "있는 지표의 평균으로 계산합니다.")
        en.append(f"Missing values are never set to zero: a region missing at most {_pct(o.max_missing_share)} "
                  "of a pillar's indicators is scored on the indicators it has.")
    u = sc.uncertainty
    ko.append(f"불확실성: 기둥 가중치(디리클레 분포, 집중도 {u.concentration:g})와 정규화·집계 방법을 "
              f"{u.draws:,}번 무작위로 바꾸어 계산한 순위의 5–95% 구간을 함께 보고합니다.")
    en.append(f"Uncertainty: the pillar weights (Dirichlet, concentration {u.concentration:g}) and the "
              f"normalisation and aggregation methods are varied in {u.draws:,} random draws; the report "
              "gives each region's 5–95% rank interval.")
    t = sc.siting
    k = n_hubs if n_hubs is not None else t.k
    if t.demand in sc.pillar_names:
        dk, de = f"{PILLARS[t.demand][0]} 점수", f"{PILLARS[t.demand][1].lower()} score"
    elif t.demand == "score":
        dk, de = "종합 점수", "overall score"
    elif t.demand == "uniform":
        dk, de = "모든 지역 같은 값", "the same value for every region"
    else:
        dk, de = _label(metadata, t.demand)
    if t.model == "pmedian":
        ko.append(f"거점 {k}곳은 p-메디안 모형으로 고릅니다: 모든 지역에서 가장 가까운 거점까지의 거리를 "
                  f"수요({dk})로 가중한 합이 가장 작아지도록 합니다.")
        en.append(f"The {k} hubs are chosen by the p-median model: the distance from every region to its "
                  f"nearest hub, weighted by demand ({de}), is minimised.")
    else:
        ko.append(f"거점 {k}곳은 최대 포괄 입지 모형(MCLP)으로 고릅니다: 거점에서 {t.reach_km:g} km 안에 드는 "
                  f"수요({dk})를 최대로 합니다.")
        en.append(f"The {k} hubs are chosen by the maximal covering model (MCLP): the demand ({de}) within "
                  f"{t.reach_km:g} km of a hub is maximised.")
    mins = t.eligibility.minimums()
    if mins:
        ko.append("거점 후보 조건: " + ", ".join(f"{PILLARS.get(c, (c,))[0]} 점수 {v:g}점 이상" for c, v in mins.items()) + ".")
        en.append("A region may be a hub only with " + ", ".join(
            f"a {PILLARS.get(c, (c, c))[1].lower()} score of at least {v:g}" for c, v in mins.items()) + ".")
    mx, mn = dict(t.per_megaregion.max), dict(t.per_megaregion.min)
    if mx:
        vals = set(mx.values())
        if len(vals) == 1 and len(mx) >= 7:
            ko.append(f"한 권역에는 거점을 최대 {vals.pop()}곳까지 둡니다.")
            en.append(f"No 권역 (megaregion) takes more than {max(mx.values())} hubs.")
        else:
            ko.append("권역별 최대 거점 수: " + ", ".join(f"{g} {n}곳" for g, n in mx.items()) + ".")
            en.append("Maximum hubs per megaregion: " + ", ".join(f"{g} {n}" for g, n in mx.items()) + ".")
    if mn:
        ko.append("최소 거점 수: " + ", ".join(f"{g} {n}곳" for g, n in mn.items()) + ".")
        en.append("Minimum hubs: " + ", ".join(f"{g} {n}" for g, n in mn.items()) + ".")
    names = units["name_ko"]
    if t.fixed:
        ko.append("미리 정한 거점: " + ", ".join(str(names.get(c, c)) for c in t.fixed) + ".")
        en.append("Hubs fixed in advance: " + ", ".join(str(units["name_en"].get(c, c)) for c in t.fixed) + ".")
    if t.excluded:
        ko.append("거점에서 제외: " + ", ".join(str(names.get(c, c)) for c in t.excluded) + ".")
        en.append("Excluded as hubs: " + ", ".join(str(units["name_en"].get(c, c)) for c in t.excluded) + ".")
    if t.max_spoke_km is not None:
        ko.append(f"거점에서 {t.max_spoke_km:g} km보다 먼 지역은 억지로 배정하지 않고 '미포괄'로 보고합니다.")
        en.append(f"Regions farther than {t.max_spoke_km:g} km from every hub are reported as uncovered "
                  "rather than forced onto a hub.")
    return {"ko": ko, "en": en}


def _pillar_rows(sc, metadata: pd.DataFrame) -> list[dict]:
    pw = sc.pillar_weights()
    rows = []
    for p in sc.pillars:
        for i, w in p.indicator_weights().items():
            ko, en = _label(metadata, i)
            unit = str(metadata.at[i, "unit"]) if i in metadata.index else ""
            rows.append({"pillar_ko": PILLARS.get(p.name, (p.name,))[0],
                         "pillar_en": PILLARS.get(p.name, (p.name, p.name))[1],
                         "pillar_weight": pw[p.name], "label_ko": ko, "label_en": en, "unit": unit,
                         "within": w, "overall": pw[p.name] * w})
    return rows


def _top_rows(s: pd.DataFrame, hubs: pd.DataFrame | None, top: int, pillars) -> list[dict]:
    rows = []
    for code, r in s.sort_values("rank", kind="stable").head(top).iterrows():
        rows.append({
            "rank": int(r["rank"]), "code": code, "name_ko": r["name_ko"], "name_en": r["name_en"],
            "sido": r.get("sido_name_ko", ""), "megaregion": r.get("megaregion", ""),
            "score": r["score"], "pillars": [r.get(p, np.nan) for p in pillars],
            "p05": r.get("rank_p05"), "p50": r.get("rank_p50"), "p95": r.get("rank_p95"),
            "p_top10": r.get("p_top10"),
            "hub": None if hubs is None or code not in hubs.index else int(hubs.at[code, "hub_rank"]),
        })
    return rows


def _hub_rows(hubs: pd.DataFrame, s: pd.DataFrame) -> list[dict]:
    rows = []
    for code, h in hubs.sort_values("hub_rank").iterrows():
        rows.append({
            "hub_rank": int(h["hub_rank"]), "code": code, "name_ko": h.get("name_ko", s.at[code, "name_ko"]),
            "name_en": h.get("name_en", s.at[code, "name_en"]), "megaregion": h.get("megaregion", ""),
            "rank": s.at[code, "rank"] if code in s.index else None,
            "score": s.at[code, "score"] if code in s.index else None,
            "n_spokes": h.get("n_spokes"), "need_served": h.get("need_served"),
            "mean_km": h.get("mean_spoke_distance_km"), "max_km": h.get("max_spoke_distance_km"),
            "freq": h.get("selection_frequency"),
            "tiers": _tiers(s, code),
        })
    return rows


def _tiers(s: pd.DataFrame, code: str) -> str:
    """The region's need and capability tiers as one text ("" when the scores have none)."""
    parts = []
    for col, (ko, en) in (("need_tier", ("필요", "need")), ("capability_tier", ("역량", "capability"))):
        if col in s.columns and code in s.index and pd.notna(s.at[code, col]):
            v = s.at[code, col]
            v = int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v
            parts.append(f"{ko} · {en} {v}")
    return ", ".join(parts)


def _siting_words(hubs, assignments, info) -> dict | None:
    """Coverage and, from the solve's ``info`` (:attr:`geo.results.Siting.info`), its proof."""
    if hubs is None:
        return None
    out = {"ko": [], "en": []}
    if assignments is not None and "covered" in assignments.columns:
        unc = assignments.index[~assignments["covered"].astype(bool)]
        if len(unc):
            ko = assignments["name_ko"] if "name_ko" in assignments.columns else pd.Series(dtype=str)
            en = assignments["name_en"] if "name_en" in assignments.columns else pd.Series(dtype=str)
            out["ko"].append(f"어느 거점에서도 최대 연계 거리 안에 들지 않는 지역 {len(unc)}곳: "
                             + ", ".join(str(ko.get(c, c)) for c in unc) + ".")
            out["en"].append(f"{len(unc)} region(s) lie beyond the maximum spoke distance of every hub "
                             "and are reported as uncovered: " + ", ".join(str(en.get(c, c)) for c in unc) + ".")
        else:
            out["ko"].append("모든 지역이 거점에 배정되었습니다.")
            out["en"].append("Every region is assigned to a hub.")
    if info.get("optimal") is True:
        out["ko"].append("이 배치는 최적임이 증명되었습니다(정확해법).")
        out["en"].append("The solver proved this layout optimal.")
    elif info.get("gap") is not None and np.isfinite(info.get("gap", np.nan)):
        out["ko"].append(f"이 배치의 최적성 간격은 {100 * info['gap']:.2f}%입니다.")
        out["en"].append(f"This layout is within {100 * info['gap']:.2f}% of the optimum.")
    return out


def _sensitivity(unc, s: pd.DataFrame, top: int) -> dict | None:
    if unc is None:
        return None
    sens = unc.sensitivity.copy()
    rows = []
    for factor, r in sens.iterrows():
        ko, en = _factor_label(factor)
        rows.append({"factor_ko": ko, "factor_en": en, "all": r["first_order"], "top": r["first_order_top"],
                     "p05": r.get("p05"), "p95": r.get("p95")})
    rows.sort(key=lambda d: -(d["top"] if np.isfinite(d["top"]) else -1))
    lead = rows[0] if rows else None
    m = unc.methods.reset_index()
    mrows = []
    for _, r in m.iterrows():
        ko, en = OPTION_LABELS.get(r["option"], (r["option"], r["option"]))
        fko, fen = {"normalisation": ("정규화", "normalisation"), "aggregation": ("집계", "aggregation"),
                    "all": ("전체", "all")}.get(r["factor"], (r["factor"], r["factor"]))
        mrows.append({"factor_ko": fko, "factor_en": fen, "option_ko": ko, "option_en": en,
                      "draws": int(r["draws"]), "shift": r["mean_abs_rank_shift"], "overlap": r["top_overlap"]})
    opts = m[(m["factor"] != "all") & m["mean_abs_rank_shift"].notna()]
    worst = opts.loc[opts["mean_abs_rank_shift"].idxmax()] if len(opts) else None
    shown = s.sort_values("rank", kind="stable").head(top)
    width = (shown["rank_p95"] - shown["rank_p05"]) if {"rank_p05", "rank_p95"} <= set(shown.columns) else None
    widest = None
    if width is not None and width.notna().any():
        c = width.idxmax()
        widest = {"name_ko": shown.at[c, "name_ko"], "name_en": shown.at[c, "name_en"],
                  "rank": int(shown.at[c, "rank"]), "p05": shown.at[c, "rank_p05"], "p95": shown.at[c, "rank_p95"]}
    stable = shown[shown["rank_p95"] <= unc.top] if "rank_p95" in shown.columns else shown.iloc[:0]
    return {
        "rows": rows, "lead": lead, "methods": mrows, "draws": unc.draws, "top": unc.top,
        "worst": None if worst is None else {
            "option_ko": OPTION_LABELS.get(worst["option"], (worst["option"],))[0],
            "option_en": OPTION_LABELS.get(worst["option"], (worst["option"], worst["option"]))[1],
            "shift": worst["mean_abs_rank_shift"], "overlap": worst["top_overlap"]},
        "all_shift": float(m.loc[m["factor"] == "all", "mean_abs_rank_shift"].iloc[0]) if (m["factor"] == "all").any() else None,
        "widest": widest,
        "stable": stable["name_ko"].astype(str).tolist(),
        "stable_en": stable["name_en"].astype(str).tolist(),
    }


def _factor_label(factor: str) -> tuple[str, str]:
    if factor.startswith("w_"):
        p = factor[2:]
        ko, en = PILLARS.get(p, (p, p))
        return f"{ko} 기둥 가중치", f"{en} pillar weight"
    return {"normalisation": ("정규화 방법", "normalisation method"),
            "aggregation": ("집계 방법", "aggregation method")}.get(factor, (factor, factor))


def _fmt_num(v, digits: int = 1) -> str:
    if v is None or v is pd.NA:
        return "–"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "–"
    if digits == 0:
        return f"{f:,.0f}"
    return f"{f:,.{digits}f}"


def _fmt_pct(v, digits: int = 0) -> str:
    if v is None or v is pd.NA:
        return "–"
    f = float(v)
    return "–" if math.isnan(f) else f"{100 * f:.{digits}f}%"


# ---------------------------------------------------------------------------------------------
# the trade-off, the rules and the robustness of the hubs
# ---------------------------------------------------------------------------------------------


def _uses_minutes(hubs) -> bool:
    return hubs is not None and "mean_spoke_minutes" in hubs.columns and hubs["mean_spoke_minutes"].notna().any()


def _rule_rows(policy, scenario, units, *, minutes: bool) -> list[dict]:
    """policy_costs.csv as rows for the summary: the rule in words and its price."""
    if policy is None or not len(policy):
        return []
    names = units["name_ko"] if "name_ko" in units.columns else pd.Series(dtype=str)
    rows = []
    for _, r in policy.iterrows():
        ko, en = rule_words(r["rule"], scenario, minutes=minutes)
        moved = [str(names.get(c, c)) for c in split_codes(r.get("hubs_only_with_rule", ""))]
        rows.append({"ko": ko, "en": en, "d_access": r.get("d_access_pct"), "d_cap": r.get("d_capability"),
                     "moved": ", ".join(moved)})
    return rows


def _signed(v, digits: int = 1, suffix: str = "") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(f):
        return "–"
    return f"{f:+.{digits}f}{suffix}".replace("-", "−")


def _robust_rows(hubs: pd.DataFrame, s: pd.DataFrame, scenario, *, minutes: bool) -> list[dict]:
    """The hubs for the summary, core ones first: tiers, placed by, robustness, alternatives."""
    names = s["name_ko"]
    rows = []
    for code, h in hubs.sort_values("hub_rank").iterrows():
        robust = str(h.get("robustness", ""))
        alts = []
        for item in split_codes(h.get("contested_alternatives", "")):
            c, _, f = item.partition(":")
            alts.append(f"{names.get(c, c)} {float(f):.0%}" if f else str(names.get(c, c)))
        pk, pe = placed_by_words(h.get("placed_by", "optimisation"), scenario, minutes=minutes)
        rows.append({
            "hub_rank": int(h["hub_rank"]), "name_ko": h.get("name_ko", names.get(code, code)),
            "name_en": h.get("name_en", ""), "megaregion": h.get("megaregion", ""),
            "need_tier": _tier(hubs, s, code, "need_tier"), "cap_tier": _tier(hubs, s, code, "capability_tier"),
            "placed_ko": pk, "placed_en": pe, "core": robust == "core",
            "freq": h.get("freq_combined", h.get("selection_frequency")),
            "served": h.get("at_stake_served", h.get("need_served")),
            "mean": h.get("mean_spoke_minutes") if minutes else h.get("mean_spoke_distance_km"),
            "max": h.get("max_spoke_minutes") if minutes else h.get("max_spoke_distance_km"),
            "alts": ", ".join(alts),
        })
    total = float(np.nansum([float(r["served"]) for r in rows if r["served"] is not None]))
    for r in rows:
        r["share"] = float(r["served"]) / total if total and r["served"] is not None else None
    return sorted(rows, key=lambda r: (not r["core"], r["hub_rank"]))


def _tier(hubs: pd.DataFrame, s: pd.DataFrame, code: str, col: str) -> str:
    for t in (hubs, s):
        if col in t.columns and code in t.index and pd.notna(t.at[code, col]):
            return str(t.at[code, col])
    return "–"


def _robustness_words(h: pd.Series, scenario, *, minutes: bool) -> dict | None:
    """A hub card's lines on how it was placed, how robust it is and its best alternative."""
    if "robustness" not in h.index and "placed_by" not in h.index:
        return None
    pk, pe = placed_by_words(h.get("placed_by", "optimisation"), scenario, minutes=minutes)
    out = {"placed_ko": pk, "placed_en": pe, "robust_ko": "", "robust_en": "", "alt_ko": "", "alt_en": ""}
    f = h.get("freq_combined", h.get("selection_frequency"))
    if isinstance(h.get("robustness"), str):
        core = h["robustness"] == "core"
        fams = [(FAMILIES.get(c[5:], (c[5:], c[5:])), h[c]) for c in h.index
                if c.startswith("freq_") and c != "freq_combined" and pd.notna(h[c])]
        fk = ", ".join(f"{k} {float(v):.0%}" for (k, _), v in fams)
        fe = ", ".join(f"{e} {float(v):.0%}" for (_, e), v in fams)
        out["robust_ko"] = (f"{'핵심 거점' if core else '경합 거점'}: 재계산의 {_fmt_pct(f)}에서 선정"
                            + (f" ({fk})" if fk else ""))
        out["robust_en"] = (f"{'core hub' if core else 'contested hub'}: chosen in {_fmt_pct(f)} of the re-solves"
                            + (f" ({fe})" if fe else ""))
    alt = h.get("best_alternative_name")
    if isinstance(alt, str) and alt:
        da, dc = h.get("swap_d_access_pct"), h.get("swap_d_capability")
        out["alt_ko"] = (f"가장 나은 대안은 {alt}: 바꾸면 접근 시간 {_signed(da, 1, '%')}, "
                         f"거점 평균 역량 {_signed(dc, 1, '점')}.")
        out["alt_en"] = (f"Best alternative: {alt}; swapping changes access time by {_signed(da, 1, ' %')} "
                         f"and mean hub capability by {_signed(dc, 1)} points.")
    elif "best_alternative_name" in h.index:
        out["alt_ko"], out["alt_en"] = "바꿀 수 있는 대안 지역이 없습니다.", "No eligible alternative site."
    return out


# ---------------------------------------------------------------------------------------------
# helpers: hub profiles
# ---------------------------------------------------------------------------------------------


def _hub_maps(run, hubs: pd.DataFrame, font: str) -> dict[str, str]:
    """The hub overview map (key ``"overview"``) and each hub's map (key: its code) as PNG data URIs."""
    geoms = Outlines(drawing_geometry(run.units))
    with mpl_font(font):
        out = {"overview": png_uri(draw_hub_overview(geoms, hubs, run.assignments, run.units))}
        for code in hubs.index:
            spokes = [c for c, _ in _spokes_of(code, hubs, run.assignments)]
            out[code] = png_uri(draw_hub_map(geoms, code, spokes, run.units), dpi=110)
    return out


def _hub_profile(run, s: pd.DataFrame, hubs: pd.DataFrame, code: str, *, catalogue) -> dict:
    """A hub's card (its map, drawn apart by :func:`_hub_maps`, is added as ``map_png``)."""
    h = hubs.loc[code]
    units = run.units
    spokes = _spokes_of(code, hubs, run.assignments)
    r = s.loc[code]
    pillars = list(run.scenario.pillar_names)
    median = s[pillars + ["score"]].median()
    return {
        "hub_rank": int(h["hub_rank"]), "code": code,
        "name_ko": units.at[code, "name_ko"], "name_en": units.at[code, "name_en"],
        "sido_ko": units.at[code, "sido_name_ko"] if "sido_name_ko" in units.columns else "",
        "sido_en": units.at[code, "sido_name_en"] if "sido_name_en" in units.columns else "",
        "megaregion": units.at[code, "megaregion"] if "megaregion" in units.columns else "",
        "tiers": _tiers(s, code),
        "rank": r["rank"], "score": r["score"], "p05": r.get("rank_p05"), "p95": r.get("rank_p95"),
        "p_top10": r.get("p_top10"), "freq": h.get("selection_frequency"),
        "n_spokes": len(spokes), "mean_km": h.get("mean_spoke_distance_km"), "max_km": h.get("max_spoke_distance_km"),
        "explanation_ko": h.get("explanation_ko"), "explanation_en": h.get("explanation_en"),
        "theme": _theme_line(None if run.plan is None else run.plan.network, code),
        "robust": _robustness_words(h, run.scenario, minutes=_uses_minutes(hubs)),
        "spokes": [{"name_ko": units.at[c, "name_ko"], "name_en": units.at[c, "name_en"], "km": km}
                   for c, km in spokes],
        "pillar_png": png_uri(draw_pillar_profile(r, median, pillars), dpi=110),
        "indicators": _key_indicators(run, s, code, catalogue=catalogue),
    }


def _spokes_of(code: str, hubs: pd.DataFrame, assignments) -> list[tuple[str, float]]:
    """Spoke regions of a hub (hub itself excluded) with their distance, nearest first."""
    if assignments is not None:
        a = assignments.copy()
        a.index = region_codes(a.index)
        mine = a[(a["hub_code"].astype("string") == code) & (a.index != code)]
        km = pd.to_numeric(mine["distance_km"], errors="coerce")
        return sorted(zip(mine.index, km), key=lambda t: (np.nan_to_num(t[1], nan=np.inf), t[0]))
    return [(c, np.nan) for c in split_codes(hubs.at[code, "spokes"])] if "spokes" in hubs.columns else []


def _key_indicators(run, s: pd.DataFrame, code: str, n: int = 6, *, catalogue=None) -> list[dict]:
    """The indicators that give the hub the most points of its overall score (``catalogue``:
    the data catalogue already read, for their sources)."""
    meta, values = run.metadata, run.values
    contrib = {c[len("contrib_"):]: s.at[code, c] for c in s.columns if c.startswith("contrib_")}
    ranked = sorted(((i, v) for i, v in contrib.items() if pd.notna(v)), key=lambda t: -t[1])[:n]
    rows = []
    for i, pts in ranked:
        ko, en = _label(meta, i)
        col = pd.to_numeric(values[i], errors="coerce")
        direction = float(meta.at[i, "direction"]) if i in meta.index else 1.0
        val = col.get(code, np.nan)
        nat_rank = int((direction * col > direction * val).sum() + 1) if pd.notna(val) else None
        rows.append({
            "label_ko": ko, "label_en": en, "value": val, "unit": str(meta.at[i, "unit"]) if i in meta.index else "",
            "points": pts, "nat_rank": nat_rank, "n": int(col.notna().sum()),
            "source": _publisher(str(meta.at[i, "source"]), catalogue=catalogue) if i in meta.index else "",
            "as_of": str(meta.at[i, "as_of"]) if i in meta.index else "",
            "digits": _digits(val),
        })
    return rows


def _publisher(source: str, *, catalogue=None) -> str:
    """An indicator's source as its first publisher's credit, with the number of others (the
    full list and the files are in the sources annex)."""
    from geo.maps import publisher

    credits = [c.strip() for c in publisher(source, catalogue=catalogue)[0].split(";") if c.strip()]
    if len(credits) <= 1:
        return credits[0] if credits else ""
    return f"{credits[0]} 외 {len(credits) - 1} · +{len(credits) - 1} more"


def _digits(v) -> int:
    if v is None or pd.isna(v):
        return 1
    a = abs(float(v))
    return 0 if a >= 1000 or float(v).is_integer() else 1 if a >= 10 else 2 if a >= 0.1 else 4
