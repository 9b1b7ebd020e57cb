"""Bring-your-own data: 시군구 tables from KOSIS, point files, boundary files and XLSX tables.

Every reader either returns clean data or raises one :class:`~geo.errors.InputError` line that
names the file, the row (1-based, the header is row 1, as a spreadsheet shows it), the column,
what was expected and what arrived. Rows of a 시군구 table that are not used (totals, regions
that cannot be placed, other items) are listed in a report; nothing disappears silently.

Accepted layouts (README)
-------------------------
`read_kosis(path)` reads a 시군구 table downloaded from KOSIS (CSV or XLSX); `user_indicator`
turns one into a scenario indicator. Every input row ends in `table.data` or `table.report`.

- **Encoding**: UTF-8 (with or without BOM) or cp949/EUC-KR, detected and reported; UTF-16,
  old .xls and mojibake are refused with a hint.
- **Wide**: `행정구역별(1),행정구역별(2),항목,단위,2015 년,2016 년`; period headers `2015`, `2015 년`,
  `2015.1/4`, `2015.01`, `2023 p)`; KOSIS's second header row of items is read as period / item.
- **Long**: `시점,행정구역별,데이터` (optionally `항목`, `단위`); **plain**: a region column and a
  value column (`value_column=`, `year=`).
- **Regions**: a code column (KOSTAT or MOIS, any vintage) or names, in level columns
  (`행정구역별(1)` 시도, `(2)` 시군구, `(3)` 일반구/소계) or one column (a 시도 row, then its 시군구).
  Abolished units are placed with their relation (청원군 → 청주시, merge); split, ambiguous
  (중구 alone) or unknown ones are reported with candidates, never guessed.
- **Totals** (전국, 소계, 합계, 시도 rows, 동부/읍부/면부) are set aside and counted.
- **Values**: `1,234` is 1234; `-`, `X`, `x`, `…`, `...`, empty, `NaN` are missing (counted);
  `1,234p)` is kept and flagged provisional. Any other text is an error naming the cell.
- **One unit, several rows**: an 일반구 beside its city's own row is set aside; 청주시 + 청원군 is
  an error unless `merge="sum"`; the same region twice is always an error.
- **Other dimensions** (`항목`, `산업별`, `성별`): choose with `item=` and `where={...}`.
- **Code included** (KOSIS option): `[DT_…]시군구별` beside `시군구별` (and `[DT_…]항목` beside
  `항목`): regions are read from the names (`region_column="[DT_…]시군구별"` reads the codes);
  a value column `가동사업자 현황[명]` gives the item and its unit (several such columns: `item=`).
- **XLSX**: the first visible sheet unless `sheet=` names one; formulas without a saved value
  are refused. Numbers a float cannot hold (`1e400`, `1e-400`) are refused, never rounded.

`read_points`: 위도/경도 (lat/lon, y/x) in degrees; missing, swapped, projected or out-of-Korea
coordinates (farther than 5 km from the 2020 읍면동 land) are errors naming the rows. `read_boundaries`: needs a CRS, valid polygons
(`make_valid=True` repairs) and unique codes. `read_xlsx_table`: merged headers → `상위 / 하위`.
"""

from geo.userdata.boundaries import read_boundaries
from geo.userdata.kosis import KosisTable, match_report_rows, read_kosis, user_indicator
from geo.userdata.points import KOREA_LAT, KOREA_LON, read_points
from geo.userdata.tables import parse_period, read_column, read_table, read_xlsx_table

__all__ = [
    "KOREA_LAT",
    "KOREA_LON",
    "KosisTable",
    "match_report_rows",
    "parse_period",
    "read_boundaries",
    "read_column",
    "read_kosis",
    "read_points",
    "read_table",
    "read_xlsx_table",
    "user_indicator",
]
