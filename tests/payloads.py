"""Hostile text for the tests: template syntax, spreadsheet formulas, and the national scenario
with them in every text field.

Text from a scenario or a data file is data: the tests put these strings where a user could
and check that they arrive verbatim, never run, and never become a live formula.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "data" / "scenarios" / "national.yaml"

# Jinja that would run a shell command, Jinja that does not parse, and spreadsheet formulas.
JINJA = ["{{ 7*7 }}", "Plan {#1 (draft)", "{% for x in range(3) %}X{% endfor %}"]
FORMULAS = ["=HYPERLINK(\"http://example.invalid\",\"click\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
            "\tTAB", "\rCR"]


def rce(marker: Path) -> str:
    """A template payload that creates ``marker`` if it is ever executed."""
    return "{{ lipsum.__globals__['os'].popen('touch " + str(marker) + "').read() }}"


def hostile_national(folder: Path) -> tuple[Path, Path]:
    """The shipped national scenario (its draws, stages and options unchanged) with payloads
    in its titles and description, and a user indicator from a small KOSIS-shaped file
    (synthetic figures) whose label, source and one region name are payloads too.

    Returns the scenario file written into ``folder`` and the marker file that must never
    appear.
    """
    marker = folder / "pwned"
    (folder / "kosis.csv").write_text("행정구역별(1),행정구역별(2),항목,단위,2020 년\n"
                                      "경상북도,구미시,시험지표,개,10\n"
                                      f"\"{FORMULAS[1]}\",없는군,시험지표,개,1\n", encoding="utf-8")
    raw = yaml.safe_load(NATIONAL.read_text(encoding="utf-8"))
    raw.update(title_ko=f"{JINJA[1]} {rce(marker)}", title_en=rce(marker), description=f"{FORMULAS[0]} {JINJA[2]}")
    raw["indicators"]["user"] = [{"file": "kosis.csv", "id": "test_user_count", "label_ko": FORMULAS[0],
                                  "label_en": rce(marker), "unit": "{#", "direction": 1, "pillar": "base",
                                  "year": 2020, "source": FORMULAS[1], "as_of": "2020"}]
    raw["pillars"]["base"]["indicators"]["test_user_count"] = 1
    scenario = folder / "national.yaml"
    scenario.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return scenario, marker
