"""Indicator metadata is a data file (data/metadata/indicators.csv) read by the indicators stage."""

import pandas as pd
import pytest

from geo import indicators as I
from geo.catalogue import data_path
from geo.errors import InputError


def test_fields_are_filled_from_the_options_and_the_source_constants():
    spec = I._spec(25.0, {"mfg_loss_share_grdp_2015": 0.4}, "LQ ≥ 1.5")
    assert spec["univ_access"][3].startswith("sum over all active campuses of 0.5^(distance km / 25)")
    assert "mfg_loss_share_grdp_2015 0.4;" in spec["decline_index"][3]
    assert "(LQ ≥ 1.5)" in spec["strong_cluster"][3]
    assert spec["aged_complex_share"][6] == f"{I.KICOX_AGED}; {I.KICOX}"
    assert spec["mfg_va_change_2015_2020"][4] == -1 and spec["univ_count"][4] == 1
    assert not any("{" in str(v) for row in spec.values() for v in row)


def test_every_row_is_an_indicator_and_coverage_is_not_in_the_file():
    t = pd.read_csv(data_path(I.METADATA_FILE), dtype=str, keep_default_na=False)
    assert "coverage" not in t.columns
    assert tuple(t["id"]) == I.indicator_ids()
    assert len(t) == 52 and t["id"].is_unique


def test_an_unknown_field_names_file_row_and_column(monkeypatch):
    t = I._metadata_table().copy()
    t.loc[3, "formula"] = "sum of {nonsense}"
    monkeypatch.setattr(I, "_metadata_table", lambda: t)
    with pytest.raises(InputError, match=r"metadata/indicators.csv.*row 5.*formula.*\{nonsense\}"):
        I._spec(30.0, {}, "")
