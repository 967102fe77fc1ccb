"""The simplified-data import refuses what no real document is: nested 200,000 levels, a
million education items, an amount of hundreds of billions, more items than dependents —
each with ``file:line:field``, nothing stored, no crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from insa.people.models import Dependent, Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.yearend.models import nts_table
from insa.yearend.nts import MAX_AMOUNT, NtsImportError, import_nts


@pytest.fixture
def people(migrated: Engine, cipher: RRNCipher) -> tuple[Engine, str, int]:
    """The database, and an employee with their number of dependents."""
    seed(migrated, SeedConfig(employees=80, seed=5, year=2025), cipher)
    with migrated.connect() as conn:
        no, n = conn.execute(
            select(Employee.employee_no, func.count(Dependent.id))
            .join(Dependent, Dependent.employee_id == Employee.id)
            .group_by(Employee.employee_no).order_by(func.count(Dependent.id).desc()).limit(1)
        ).one()  # fmt: skip
    return migrated, no, int(n)


def _errors(engine: Engine, path: Path) -> list[str]:
    with pytest.raises(NtsImportError) as exc:
        import_nts(engine, path)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(nts_table)) == 0
    return [str(e) for e in exc.value.errors]


def test_a_document_nested_200000_levels_is_refused_unparsed(
    people: tuple[Engine, str, int], tmp_path: Path
) -> None:
    engine, no, _ = people
    deep = "[" * 200_000 + "]" * 200_000
    lines = tmp_path / "deep.jsonl"
    lines.write_text(json.dumps({"employee_no": no, "tax_year": 2025})[:-1]
                     + f', "cards": {deep}}}\n' + "9" * 5000 + "\n", encoding="utf-8")  # fmt: skip
    errors = _errors(engine, lines)
    assert errors[0].startswith("deep.jsonl:1: 문서가 너무 ")  # too large, or too deep
    assert errors[1].startswith("deep.jsonl:2: 읽을 수 없는 값입니다")  # 5,000 digits
    one = tmp_path / "deep.json"
    one.write_text("{" + '"a":' * 1 + "[" * 50 + "]" * 50 + "}", encoding="utf-8")
    assert _errors(engine, one) == ["deep.json:1: 문서가 너무 깊게 중첩되어 있습니다 (최대 6단계) "
                                    "/ nested too deeply"]  # fmt: skip


def test_lists_and_amounts_are_bounded(people: tuple[Engine, str, int], tmp_path: Path) -> None:
    engine, no, dependents = people
    head = {"employee_no": no, "tax_year": 2025}
    docs = [
        head | {"education": {"preschool_school": [300_000] * 1_000_000}},
        head | {"education": {"preschool_school": [300_000] * 21}},
        head | {"education": {"preschool_school": [300_000] * (dependents + 1)}},
        head
        | {"cards": {"credit": MAX_AMOUNT + 1}, "education": {"university": [450_000_000_000]}},
    ]
    for i, doc in enumerate(docs, start=1):
        path = tmp_path / f"d{i}.jsonl"
        path.write_text(json.dumps(doc) + "\n", encoding="utf-8")
        errors = _errors(engine, path)
        if i == 1:
            assert errors == [
                "d1.jsonl:1: 문서가 너무 큽니다 (최대 65,536바이트) / document too large"
            ]
        elif i == 2:
            assert errors[0].startswith("d2.jsonl:1:education.preschool_school:")
        elif i == 3:
            assert errors == [f"d3.jsonl:1:education: 교육비 항목 {dependents + 1}개가 등록된 부양가족 "
                              f"수({dependents}명)보다 많습니다 / more education items than dependents"]  # fmt: skip
        else:
            assert [e.split(": ")[0] for e in errors] == ["d4.jsonl:1:cards.credit",
                                                         "d4.jsonl:1:education.university.0"]  # fmt: skip
    fine = tmp_path / "fine.jsonl"
    fine.write_text(json.dumps(head | {"education": {"preschool_school": [300_000] * dependents}})
                    + "\n", encoding="utf-8")  # fmt: skip
    assert import_nts(engine, fine).inserted == 1
