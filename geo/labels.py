"""Names shown to people, in Korean and English, defined once.

Maps, report, comparison and the code tables all read their labels here: the pillars, the
LISA cluster classes, the map layers, and the 17 시도 with their short and other names (the
names a table may use for them: former ones such as 강원도, old ones such as 부산직할시, and
English ones).

>>> sido_short("경상북도")
('경북', 'Gyeongbuk')
>>> sido_code("강원도"), sido_code("Jeju")
('32', '39')
>>> score_label("need")
('필요(쇠퇴) 점수', 'Need (decline) score')
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "PILLARS", "LISA", "LAYERS", "FAMILIES", "FAMILY_DETAILS", "TIERS", "SIDO", "SIDO_SHORT", "Sido",
    "score_label", "name_key", "sido_key", "sido_alias_table", "sido_aliases", "sido_short", "sido_code", "sido_members",
]

#: Pillar (and overall score) id → (Korean, English).
PILLARS = {
    "need": ("필요(쇠퇴)", "Need (decline)"),
    "base": ("산업기반", "Industrial base"),
    "knowledge": ("지식역량", "Knowledge"),
    "connectivity": ("연결성", "Connectivity"),
    "score": ("종합", "Overall"),
}

#: LISA cluster class (geo.hotspots) → (Korean, English).
LISA = {
    "HH": ("핫스팟 (높음-높음)", "hot spot (high-high)"),
    "LL": ("콜드스팟 (낮음-낮음)", "cold spot (low-low)"),
    "HL": ("이상치 (높음-낮음)", "outlier (high-low)"),
    "LH": ("이상치 (낮음-높음)", "outlier (low-high)"),
    "ns": ("유의하지 않음", "not significant"),
    "island": ("인접 지역 없음", "no neighbours"),
}

#: Map layer → (Korean, English): the point layers of the indicators stage's assets and the
#: layers every map draws.
LAYERS = {
    "universities": ("대학", "Universities"),
    "research": ("연구기관", "Research institutes"),
    "root_complexes": ("뿌리산업 특화단지", "Root-industry complexes"),
    "industrial_complexes": ("산업단지", "Industrial complexes"),
    "regions": ("지역", "Regions"),
    "lisa": ("쇠퇴 군집 (LISA)", "Decline clusters (LISA)"),
    "hubs": ("거점", "Hubs"),
    "links": ("거점→연계", "Hub→spoke"),
}

#: Tier column of the two indices (geo.indices) → (Korean, English).
TIERS = {"need_tier": ("필요 등급", "Need tier"), "capability_tier": ("역량 등급", "Capability tier")}

#: Robustness family of the siting re-solves (geo.siting) → (Korean, English).
FAMILIES = {
    "index draws": ("지수 몬테카를로 추출", "Monte Carlo draws of the indices"),
    "demand definition": ("수요 정의", "demand definition"),
    "thresholds ±5": ("하한 ±5점", "thresholds ±5"),
    "k ± 1": ("거점 수 ±1", "k ± 1"),
    "권역 rule off": ("권역 규칙 해제", "megaregion rule off"),
}

#: The same families as the hub explanations say what each one varies (Korean, English).
FAMILY_DETAILS = {
    "index draws": ("필요·역량 지수 몬테카를로 추첨", "Monte Carlo draws of the need and capability indices"),
    "demand definition": ("다른 수요 정의(필요 점수만, 균등)", "the other demand definitions (need only, uniform)"),
    "thresholds ±5": ("자격 기준 ±5점", "eligibility thresholds 5 points lower and higher"),
    "k ± 1": ("거점 수 ±1", "one hub fewer and one more"),
    "권역 rule off": ("권역별 거점 수 규칙 해제", "without the per-권역 hub limits"),
}


def score_label(pillar: str) -> tuple[str, str]:
    """The score of a pillar in words: ``"need"`` → ``("필요(쇠퇴) 점수", "Need (decline) score")``."""
    ko, en = PILLARS[pillar]
    return f"{ko} 점수", f"{en} score"


@dataclass(frozen=True)
class Sido:
    """One 시도.

    Attributes
    ----------
    short
        The short Korean name (서울, 경북), the key of the table.
    code
        KOSTAT 2020 2-digit code, or None for a 시도 without units of its own in 2020.
    names
        Every other way a table writes it, the official name first; the last Latin one is the
        short English name.
    members
        The short names of the 시도 it stands for (itself, unless it integrates others).
    """

    short: str
    code: str | None
    names: tuple[str, ...]
    members: tuple[str, ...] = ()

    @property
    def short_en(self) -> str:
        latin = [a for a in self.names if a.isascii()]
        return latin[-1] if latin else self.short


SIDO = (
    Sido("서울", "11", ("서울특별시", "서울시", "서울", "Seoul")),
    Sido("부산", "21", ("부산광역시", "부산직할시", "부산시", "부산", "Busan")),
    Sido("대구", "22", ("대구광역시", "대구직할시", "대구시", "대구", "Daegu")),
    Sido("인천", "23", ("인천광역시", "인천직할시", "인천시", "인천", "Incheon")),
    Sido("광주", "24", ("광주광역시", "광주직할시", "광주시", "광주", "Gwangju")),
    Sido("대전", "25", ("대전광역시", "대전직할시", "대전시", "대전", "Daejeon")),
    Sido("울산", "26", ("울산광역시", "울산시", "울산", "Ulsan")),
    Sido("세종", "29", ("세종특별자치시", "세종시", "세종", "Sejong")),
    Sido("경기", "31", ("경기도", "경기", "Gyeonggi-do", "Gyeonggi")),
    Sido("강원", "32", ("강원특별자치도", "강원도", "강원", "Gangwon-do", "Gangwon")),
    Sido("충북", "33", ("충청북도", "충북", "Chungcheongbuk-do", "Chungbuk")),
    Sido("충남", "34", ("충청남도", "충남", "Chungcheongnam-do", "Chungnam")),
    Sido("전북", "35", ("전북특별자치도", "전라북도", "전북", "Jeollabuk-do", "Jeonbuk")),
    Sido("전남", "36", ("전라남도", "전남", "Jeollanam-do", "Jeonnam")),
    Sido("경북", "37", ("경상북도", "경북", "Gyeongsangbuk-do", "Gyeongbuk")),
    Sido("경남", "38", ("경상남도", "경남", "Gyeongsangnam-do", "Gyeongnam")),
    Sido("제주", "39", ("제주특별자치도", "제주도", "제주", "Jeju-do", "Jeju")),
    # the 2026 integrated 전남광주 covers the 광주 and 전남 units
    Sido("전남광주", None, ("전남광주통합특별시", "전남광주특별시", "전남광주", "광주전남"), ("전남광주", "광주", "전남")),
)
#: Short names of the 17 시도 of the 2020 units, in code order.
SIDO_SHORT = tuple(s.short for s in SIDO if s.code)
_BY_SHORT = {s.short: s for s in SIDO}


def name_key(text: str) -> str:
    """Comparison key of a name: NFKC, case-folded, without spaces and punctuation."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s\-_.,·‧ㆍ'’()（）]+", "", text)


@functools.cache
def sido_alias_table() -> dict[str, str]:
    """Every known way of writing a 시도, as :func:`name_key` → short name."""
    return {name_key(a): s.short for s in SIDO for a in (*s.names, s.short)}


def sido_key(name: str) -> str | None:
    """Short name of a 시도 written any known way (``"경상북도"`` → ``"경북"``), else None."""
    return sido_alias_table().get(name_key(name))


def sido_members(short: str) -> frozenset[str]:
    """The 시도 (short names) that ``short`` stands for: itself, or those it integrates."""
    s = _BY_SHORT.get(short)
    return frozenset(s.members) if s is not None and s.members else frozenset({short})


def sido_aliases(name: str) -> tuple[str, ...]:
    """Short and other names of a 시도, the short Korean name first.

    ``sido_aliases("부산광역시")`` → ``("부산", "부산광역시", "부산직할시", "부산시", "Busan")``;
    ``()`` for a name that is not a 시도.
    """
    key = sido_key(name)
    if key is None:
        return ()
    return tuple(dict.fromkeys((key, *_BY_SHORT[key].names)))


def sido_short(name: str) -> tuple[str, str]:
    """Short Korean and English name of a 시도 (``"대구광역시"`` → ``("대구", "Daegu")``),
    as used to qualify same-named 구 (북구(대구)); the name itself if it is not a 시도."""
    key = sido_key(name) if isinstance(name, str) else None
    if key is None:
        return str(name), str(name)
    return key, _BY_SHORT[key].short_en


def sido_code(name) -> str | None:
    """KOSTAT 2-digit 시도 code of a 시도 name or abbreviation (``"경기"`` → ``"31"``)."""
    if not isinstance(name, str):
        return None
    key = sido_key(name)
    return None if key is None else _BY_SHORT[key].code
