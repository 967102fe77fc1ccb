"""Codes every layer shares: relations of a dependent and an employee's service status.

A leaf module (it imports nothing of insa), so that the data model, the rules and every
domain can name the same codes without importing each other. The stored value is the
English code; the Korean label is what people see and what import files carry.
"""

from __future__ import annotations

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
