"""Dated rule parameters with legal references (the OpenFisca habit, in our own loader).

A parameter is one YAML file under a domain's ``params/`` folder; its dotted name is its
path (``people/params/pay/meal_allowance.yaml`` → ``pay.meal_allowance`` in the
``people`` set). Each file has ``description``, ``unit`` and ``values`` keyed by the ISO
date the value takes effect; each dated value carries ``value``, ``reference`` (title,
article, href) and ``confirmed``. Rule code holds no legal number: it asks for a date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

import yaml


class ParameterError(LookupError):
    pass


@dataclass(frozen=True)
class DatedValue:
    effective: dt.date
    value: Any
    reference: dict[str, str]
    confirmed: bool
    note: str = ""


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    values: tuple[DatedValue, ...]  # sorted by effective date
    source_file: str = ""

    def entry(self, on: dt.date) -> DatedValue:
        found: DatedValue | None = None
        for v in self.values:
            if v.effective <= on:
                found = v
            else:
                break
        if found is None or found.value is None:
            raise ParameterError(f"{self.name}: no value in force on {on.isoformat()}")
        return found

    def __call__(self, on: dt.date) -> Any:
        return self.entry(on).value


@dataclass
class ParameterSet:
    domain: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise ParameterError(f"{self.domain}: unknown parameter {name!r}") from None

    def get(self, name: str, on: dt.date) -> Any:
        return self[name](on)

    def names(self) -> list[str]:
        return sorted(self.parameters)


def _parse_file(name: str, text: str, source: str) -> Parameter:
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or "values" not in doc:
        raise ParameterError(f"{source}: a parameter file needs 'description', 'unit', 'values'")
    values: list[DatedValue] = []
    for key, entry in doc["values"].items():
        effective = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
        if not isinstance(entry, dict) or "value" not in entry:
            raise ParameterError(f"{source}: value dated {effective} needs 'value' and 'reference'")
        ref = entry.get("reference")
        if not isinstance(ref, dict) or not ref.get("title"):
            raise ParameterError(f"{source}: value dated {effective} has no reference title")
        values.append(
            DatedValue(
                effective=effective,
                value=entry["value"],
                reference={k: str(v) for k, v in ref.items()},
                confirmed=bool(entry.get("confirmed", False)),
                note=str(entry.get("note", "")),
            )
        )
    values.sort(key=lambda v: v.effective)
    return Parameter(
        name=name,
        description=str(doc.get("description", "")),
        unit=str(doc.get("unit", "")),
        values=tuple(values),
        source_file=source,
    )


@cache
def load(domain: str) -> ParameterSet:
    """Load every ``insa/<domain>/params/**/*.yaml`` as a :class:`ParameterSet`."""
    root = resources.files(f"insa.{domain}").joinpath("params")
    pset = ParameterSet(domain)

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, (*prefix, child.name))
            elif child.name.endswith(".yaml"):
                dotted = ".".join((*prefix, child.name[: -len(".yaml")]))
                pset.parameters[dotted] = _parse_file(
                    dotted, child.read_text(encoding="utf-8"), f"{domain}/params/{dotted}"
                )

    walk(root, ())
    return pset


def fraction(value: Any) -> Fraction:
    """An exact rate from a parameter value (``"0.03545"`` → 709/20000). Never a float."""
    if isinstance(value, float):
        raise ParameterError(f"rates must be written as strings or integers, not floats: {value!r}")
    return Fraction(str(value))
