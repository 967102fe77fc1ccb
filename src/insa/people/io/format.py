"""The file format of the people import and export (``docs/import-format.md``).

Columns with their Korean headers, which of them are required, the codes written as Korean
words, the patterns and lengths a value must fit, and the shapes the reading, checking and
writing pass between them: a :class:`Sheet` of rows, a :class:`RowError` reported as
``file:row:column: message``, :class:`ImportRejected` and the :class:`ImportReport`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from insa.codes import RELATION_LABELS, STATUS_LABELS
from insa.security.logs import redact

EMPLOYEE_COLUMNS = (
    "기관코드", "직원번호", "성명", "주민등록번호", "임용일", "직급", "호봉",
    "부서코드", "직위", "재직상태", "이메일", "전화번호", "은행", "계좌번호", "예금주",
)  # fmt: skip
EMPLOYEE_REQUIRED = (
    "기관코드",
    "직원번호",
    "성명",
    "주민등록번호",
    "임용일",
    "직급",
    "호봉",
    "부서코드",
    "재직상태",
)
DEPENDENT_COLUMNS = (
    "직원번호", "관계", "성명", "주민등록번호", "장애여부", "동거여부", "연간소득",
    "공무원여부", "가족수당시작일", "가족수당종료일",
)  # fmt: skip
DEPENDENT_REQUIRED = ("직원번호", "관계", "성명", "주민등록번호")
STATUS_CODE = STATUS_LABELS  # stored code → the Korean word of the files
STATUS_KO = {v: k for k, v in STATUS_LABELS.items()}
RELATION_CODE = RELATION_LABELS
RELATION_KO = {v: k for k, v in RELATION_LABELS.items()}
YES = {"Y", "y", "예", "1", "true", "TRUE", "O"}
NO = {"N", "n", "아니오", "0", "false", "FALSE", "X", ""}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^0\d{1,2}-?\d{3,4}-?\d{4}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LIMITS = {"직원번호": 16, "성명": 50, "이메일": 120, "전화번호": 20, "예금주": 50}


@dataclass(frozen=True, order=True)
class RowError:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s); nothing was written")
        self.errors = sorted(errors)


@dataclass
class Sheet:
    label: str  # file name, or file name[sheet]
    kind: str  # employees | dependents
    rows: list[tuple[int, dict[str, str]]]


@dataclass
class ImportReport:
    employees_added: int = 0
    employees_updated: int = 0
    dependents_added: int = 0
    dependents_updated: int = 0
    accounts_written: int = 0
    files: list[str] = field(default_factory=list)


def file_label(path: Path) -> str:
    """A file name as shown in errors and the audit log: never a resident number."""
    return redact(path.name)
