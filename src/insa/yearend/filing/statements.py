"""The data of one filing: submitter, withholding agents, their employees' statements with
previous employers and dependents (plain frozen dataclasses; reprs mask the RRN)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from insa.security.rrn import mask_text


def _masked_repr(obj: object, secret: str) -> str:
    """The dataclass repr with the ``secret`` attribute masked (``900101-1******``)."""
    shown = ", ".join(
        f"{f.name}={mask_text(getattr(obj, f.name))!r}"
        if f.name == secret and getattr(obj, f.name)
        else f"{f.name}={getattr(obj, f.name)!r}"
        for f in fields(obj)  # type: ignore[arg-type]
    )
    return f"{type(obj).__name__}({shown})"


@dataclass(frozen=True)
class Submitter:
    """제출자 (A record): who sends the file — the agency itself or its tax agent."""

    kind: int  # 제출자구분: 1 세무대리인, 2 법인, 3 개인
    tax_office: str  # 세무서코드, 3 digits
    business_number: str  # 사업자등록번호, 10 digits
    name: str
    hometax_id: str
    contact_department: str
    contact_name: str
    contact_phone: str
    tax_agent_number: str = ""  # 세무대리인관리번호 (kind 1 only)
    program_code: str = "9000"  # 세무프로그램코드 (value used by in-house programs)


@dataclass(frozen=True, repr=False)
class Dependent:
    """One person of the E record (소득공제명세 인적사항); the employee comes first as ``'0'``."""

    relation: str  # 관계코드 '0' 본인 … '8' 위탁아동
    name: str
    rrn: str
    foreigner: bool = False
    basic: bool = False  # 기본공제
    disabled: bool = False  # 장애인공제
    woman: bool = False  # 부녀자공제 (본인)
    senior: bool = False  # 경로우대공제 (70+)
    single_parent: bool = False  # 한부모공제 (본인)
    birth_adoption: str = ""  # 출산·입양: '' or '1' / '2' / '3' (첫째 / 둘째 / 셋째 이상)
    child: bool = False  # 자녀세액공제 대상
    education: str = ""  # 교육비공제 구분코드, '' if none

    def __repr__(self) -> str:
        return _masked_repr(self, "rrn")


@dataclass(frozen=True)
class PreviousEmployer:
    """종(전)근무처 (D record): an earlier employer in the same year."""

    name: str
    business_number: str
    work_start: dt.date
    work_end: dt.date
    salary: int = 0  # 급여
    bonus: int = 0  # 상여
    income_tax: int = 0  # 결정세액 소득세 (기납부)
    local_tax: int = 0  # 결정세액 지방소득세 (기납부)
    tax_union: bool = False  # 납세조합 여부


@dataclass(frozen=True, repr=False)
class EmployeeStatement:
    """One employee's statement (C record, with its D and E records)."""

    name: str
    rrn: str  # 주민등록번호 (외국인등록번호), 13 digits
    work_start: dt.date
    work_end: dt.date
    amounts: Mapping[str, int]  # keyed by amount_keys(year); see settlement_amounts
    dependents: Sequence[Dependent] = ()
    previous_employers: Sequence[PreviousEmployer] = ()
    resident: bool = True  # 거주자
    foreigner: bool = False  # 외국인 (내·외국인구분 9)
    nationality: str = "KR"
    residence_country: str = "KR"
    household_head: bool = True  # 세대주
    mid_year_leaver: bool = False  # 중도퇴사 (연말정산구분 2)
    flat_rate_foreigner: bool = False  # 외국인단일세율적용
    dispatched_worker: bool = False  # 외국법인소속 파견근로자
    religious_worker: bool = False  # 종교관련종사자

    def __post_init__(self) -> None:
        object.__setattr__(self, "amounts", dict(self.amounts))
        object.__setattr__(self, "dependents", tuple(self.dependents))
        object.__setattr__(self, "previous_employers", tuple(self.previous_employers))

    def __repr__(self) -> str:
        return _masked_repr(self, "rrn")


@dataclass(frozen=True, repr=False)
class WithholdingAgent:
    """원천징수의무자 (B record) and its employees."""

    tax_office: str
    business_number: str
    name: str
    representative: str
    registration_number: str  # 주민(법인)등록번호, 13 digits or ''
    employees: Sequence[EmployeeStatement] = ()
    period_code: int = 1  # 제출대상기간코드
    unit_taxation: bool = False  # 사업자단위과세자
    sub_business_seq: str = ""  # 종사업장 일련번호 (사업자단위과세자만)

    def __post_init__(self) -> None:
        object.__setattr__(self, "employees", tuple(self.employees))

    def __repr__(self) -> str:
        return _masked_repr(self, "registration_number")


@dataclass(frozen=True)
class Submission:
    """The whole file: one submitter, one or more withholding agents."""

    submitter: Submitter
    submitted_on: dt.date
    agents: Sequence[WithholdingAgent]

    def __post_init__(self) -> None:
        object.__setattr__(self, "agents", tuple(self.agents))
