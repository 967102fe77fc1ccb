"""Verification outputs: the findings CSV (fixed columns), one XLSX per organisation with
Korean headers, and the central summary (counts and won by organisation and kind)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from insa.allowance.claims import write_csv_atomic
from insa.allowance.models import KIND_LABELS, MATCH_LABELS, RELATION_LABELS
from insa.allowance.verify import FINDING_COLUMNS, VerifyReport
from insa.allowance.verify import Finding as Found
from insa.files import inside
from insa.spreadsheets import append_row

ORG_HEADERS = (
    ("finding_id", "발견번호"), ("kind", "유형"), ("match", "일치 방식"), ("probability", "확률"),
    ("claim_a", "청구 A"), ("claimant_a_name", "청구자 A"), ("claim_b", "청구 B"),
    ("claimant_b_name", "청구자 B"), ("dependent_name", "부양가족 성명"),
    ("relation", "관계"), ("overlap_start", "중복 시작월"), ("overlap_end", "중복 종료월"),
    ("overlap_months", "중복 개월"), ("overpaid_amount", "과지급액(원)"),
    ("recover_from", "환수 대상 청구"), ("ours", "우리 기관 환수 여부"),
)  # fmt: skip


def write_findings_csv(path: Path, report: VerifyReport) -> None:
    write_csv_atomic(path, FINDING_COLUMNS, (f.row() for f in report.findings))


def _sheet_widths(ws: object) -> None:
    for i, col in enumerate(ws.columns, start=1):  # type: ignore[attr-defined]
        width = max(len(str(c.value or "")) for c in col) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 40)  # type: ignore[attr-defined]


def _org_rows(org: str, findings: list[Found]) -> list[list[object]]:
    rows = []
    for f in findings:
        values = {
            **{c: getattr(f, c) for c in FINDING_COLUMNS},
            "kind": KIND_LABELS.get(f.kind, f.kind),
            "match": MATCH_LABELS.get(f.match, f.match),
            "dependent_name": f.dependent_name,
            "claimant_a_name": f.claimant_a_name,
            "claimant_b_name": f.claimant_b_name,
            "relation": RELATION_LABELS.get(f.relation, f.relation),
            "ours": "예" if f.recover_org == org else "아니요",
        }
        rows.append([values[k] for k, _ in ORG_HEADERS])
    return rows


def write_org_reports(directory: Path, report: VerifyReport) -> list[Path]:
    """One workbook per organisation involved: its findings (either side)."""
    directory.mkdir(parents=True, exist_ok=True)
    by_org: dict[str, list[Found]] = defaultdict(list)
    for f in report.findings:
        by_org[f.org_a].append(f)
        if f.org_b != f.org_a:
            by_org[f.org_b].append(f)
    paths = []
    for org, findings in sorted(by_org.items()):
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "이중수급 의심"
        append_row(ws, [h for _, h in ORG_HEADERS])
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in _org_rows(org, findings):
            append_row(ws, row)
        ws.freeze_panes = "A2"
        _sheet_widths(ws)
        path = inside(directory, f"{org}.xlsx")
        wb.save(path)
        paths.append(path)
    return paths


def summary_rows(report: VerifyReport) -> list[tuple[str, str, int, int]]:
    """(organisation to recover from, kind, count, won) — the central summary."""
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for f in report.findings:
        cell = acc[(f.recover_org, f.kind)]
        cell[0] += 1
        cell[1] += f.overpaid_amount
    return [(org, kind, n, won) for (org, kind), (n, won) in sorted(acc.items())]


def write_summary(path: Path, report: VerifyReport) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "기관별 요약"
    append_row(ws, ["환수 기관", "유형", "건수", "과지급액(원)"])
    for c in ws[1]:
        c.font = Font(bold=True)
    rows = summary_rows(report)
    for org, kind, n, won in rows:
        append_row(ws, [org, KIND_LABELS.get(kind, kind), n, won])
    append_row(ws, ["합계", "", sum(r[2] for r in rows), sum(r[3] for r in rows)])
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
    _sheet_widths(ws)
    wb.save(path)
