"""The one label table (geo.labels) and its readers."""

import pandas as pd

from geo import codes, labels, maps, workbook
from geo.compare import region_labels


def test_every_sido_of_the_2020_units_has_one_row_with_its_code():
    units = codes.analysis_units()
    assert set(units.index.str[:2]) == {s.code for s in labels.SIDO if s.code}
    assert len(labels.SIDO_SHORT) == 17 == len({s.code for s in labels.SIDO if s.code})


def test_sido_names_read_alike_in_every_spelling():
    for name in ("경상북도", "경북", "Gyeongsangbuk-do", "경상 북도"):
        assert labels.sido_short(name) == ("경북", "Gyeongbuk")
        assert labels.sido_code(name) == "37"
    assert labels.sido_code("강원도") == labels.sido_code("강원특별자치도") == "32"
    assert labels.sido_code("전남광주") is None and labels.sido_members("전남광주") == {"전남광주", "광주", "전남"}
    assert labels.sido_short("아무개") == ("아무개", "아무개")


def test_region_labels_qualify_repeated_names_with_the_short_sido():
    t = pd.DataFrame({"name_ko": ["중구", "중구", "청주시"], "sido_name_ko": ["대구광역시", "충청북도", "충청북도"]})
    assert list(region_labels(t)) == ["중구(대구)", "중구(충북)", "청주시"]


def test_one_label_per_lisa_class_and_pillar_everywhere():
    assert maps.LISA_LABELS["HH"] == list(labels.LISA["HH"])
    assert (maps.LISA_STYLES["HH"]["ko"], maps.LISA_STYLES["HH"]["en"]) == labels.LISA["HH"]
    assert maps.SCORE_LABELS["need"] == ("필요(쇠퇴) 점수", "Need (decline) score")
    assert workbook.COLUMNS["base"][:2] == maps.SCORE_LABELS["base"] == labels.score_label("base")
    assert maps.ASSET_STYLES["universities"][:2] == labels.LAYERS["universities"]
