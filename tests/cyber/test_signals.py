"""The domain signals against a labelled set made by hand (tests/cyber/data/labelled.csv:
look-alikes of five real services and innocent near-names — 고시원 housing, exam academies,
a taxi company, other Korean businesses): precision and recall of the alerts printed, every
signal covered, and the reasons the CSV contract names."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from insa.cyber.assets import load
from insa.cyber.signals import Prepared, prepare, score

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def prep() -> Prepared:
    found = load(DATA / "assets.yaml")
    assert found.ok, found.problems
    return prepare(found)


def _labelled() -> list[dict[str, str]]:
    with (DATA / "labelled.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_labelled_set_is_scored_with_high_precision_and_recall(
    prep: Prepared, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _labelled()
    assert len(rows) >= 60
    tp = fp = fn = 0
    wrong = []
    for r in rows:
        f = score(r["domain"], prep)
        want_alert = r["label"] == "lookalike"
        got_alert = f.verdict == "alert"
        tp += want_alert and got_alert
        fp += got_alert and not want_alert
        fn += want_alert and not got_alert
        if want_alert != got_alert or (r["label"] == "watch" and f.verdict != "watch"):
            wrong.append((r["domain"], r["label"], f.verdict, f.score, ";".join(f.reasons)))
        if r["label"] in ("innocent",):
            assert f.verdict != "alert", (r, f)
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    with capsys.disabled():
        print(
            f"\n사칭 도메인 표본 {len(rows)}개: 정밀도 {precision:.2f}, 재현율 {recall:.2f} (경보 {tp + fp}건)"
        )
        for w in wrong:
            print("  다름:", *w)
    assert precision >= 0.95 and recall >= 0.9, wrong


@pytest.mark.parametrize(
    ("domain", "code"),
    [
        ("g0si.kr", "homoglyph:0>o"),
        ("kosi-exam.com", "romanisation:g>k"),
        ("gosi.kr.exam-apply.top", "brand-subdomain"),
        ("hometax-refund.com", "lure:refund"),
        ("homtax.kr", "edit-distance:1"),
        ("gosi.co.kr", "sld-swap:kr>co.kr"),
        ("gosi.com", "tld-swap:kr>com"),
        ("gosi2026-exam.com", "brand-number:2026"),
        ("xn--gsi-0na.kr", "idn:xn--gsi-0na>gøsi"),
        ("gosiwon-seoul.com", "innocent:gosiwon"),
        ("www.mpm.go.kr", "allowed"),
        ("www.gosi.kr", "official"),
    ],  # fmt: skip
)
def test_each_reason_names_its_evidence(prep: Prepared, domain: str, code: str) -> None:
    assert code in score(domain, prep).reasons


def test_a_candidate_matching_no_asset_is_ignored_without_an_asset(prep: Prepared) -> None:
    f = score("naver.com", prep)
    assert (f.asset, f.verdict, f.score, f.reasons) == ("", "ignore", 0, ())


def test_a_korean_label_is_read_as_the_service_name(prep: Prepared) -> None:
    f = score("xn--o39aqqfn712e.com", prep)  # 국가고시.com
    assert f.asset == "gosi" and any(r.startswith("korean-label:") for r in f.reasons)


def test_real_names_from_the_public_suffix_list_do_not_alert() -> None:
    """An innocent set made by nobody here: every name in the public suffix list tldextract
    ships (its private section — blogspot.com, github.io, … — and its ICANN section's
    second levels, seoul.kr and go.kr among them), scored against the demo's seven
    services. The false alarms are counted and printed."""
    import tldextract

    text = (Path(tldextract.__file__).parent / ".tld_set_snapshot").read_text(encoding="utf-8")
    names = sorted({x.strip().lstrip("*.!") for x in text.splitlines()
                    if x.strip() and not x.startswith("//") and "." in x})  # fmt: skip
    assert len(names) > 5000
    found = load(Path(__file__).resolve().parents[2] / "examples" / "cyber" / "assets.yaml")
    prep = prepare(found)
    alerts = [f.domain for f in (score(n, prep) for n in names) if f.verdict == "alert"]
    print(
        f"\n공개 접미사 목록의 실제 이름 {len(names):,}개: 경보 {len(alerts)}건 ({len(alerts) / len(names):.2%})"
    )
    assert len(alerts) <= len(names) // 1000, alerts[:20]
