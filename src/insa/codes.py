"""Codes every layer shares: relations of a dependent and an employee's service status.

A leaf module (it imports nothing of insa), so that the data model, the rules and every
domain can name the same codes without importing each other. The stored value is the
English code; the Korean label is what people see and what import files carry.
"""

from __future__ import annotations

import re

# 관계: how a dependent is related to the employee, in the order of the int8 code the
# vectorised rules use (RELATION_INDEX)
RELATIONS = ("spouse", "child", "grandchild", "parent", "grandparent", "sibling", "foster_child")
RELATION_INDEX = {name: i for i, name in enumerate(RELATIONS)}
RELATION_LABELS = {
    "spouse": "배우자", "child": "자녀", "grandchild": "손자녀", "parent": "부모",
    "grandparent": "조부모", "sibling": "형제자매", "foster_child": "위탁아동",
}  # fmt: skip

# 재직상태: in service, on leave, retired
EMPLOYEE_STATUSES = ("active", "leave", "retired")
STATUS_LABELS = {"active": "재직", "leave": "휴직", "retired": "퇴직"}

# 직원번호: 1–16 ASCII letters, digits or '-', starting with a letter or digit (documented in
# docs/import-format.md); it names files and downloads, so nothing else is ever one
EMPLOYEE_NO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$"
EMPLOYEE_NO_HELP = "직원번호는 영문·숫자·'-'로 된 16자 이하여야 합니다"
_EMPLOYEE_NO = re.compile(EMPLOYEE_NO_PATTERN)


def is_employee_no(text: str) -> bool:
    return bool(_EMPLOYEE_NO.match(text))
