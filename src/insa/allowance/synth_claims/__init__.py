"""Synthetic family-allowance claims in the exchange format, with planted double claims.

``generate(out_dir, rows=…)`` writes one CSV per organisation (exactly the header of
:data:`insa.allowance.claims.COLUMNS`) and returns the ground truth: the pairs of claims the
verification must report and the decoy pairs it must not. Deterministic for a given seed;
vectorised with NumPy (5,000,000 rows from 160 organisations in well under a minute).

The world: organisations by kind — central agencies (codes from the agency registry, weighted
by staff), the military (``MIL``), the election commission (``NEC``), the constitutional court
(``CCOURT``), local governments (``LG-SEOUL`` …), education offices (``EDU-BUSAN`` …) and public
institutions (``PI-0001`` …); about ``keyless_org_share`` of the organisations (drawn among
public institutions and central agencies) have no resident numbers, so every one of their rows
has an empty ``dependent_key``. Claimants hold 1–6 dependents (spouse, children, parents, a
few others); every dependent is a distinct person, claimed once, with a random 64-hex key (as
if an HMAC).

Planted (about ``plant_share`` × rows pairs), the ground truth:

- ``double_claim``/``exact``: a keyed dependent claimed by a second claimant (a spouse or a
  sibling, usually at another organisation), overlapping up to ``as_of``;
- ``open_transfer``/``exact``: the same claimant and dependent at a second organisation, the
  old claim not closed (or closed after the new one started);
- ``double_claim``/``probable`` and ``open_transfer``/``probable``: the same, with one side at
  a keyless organisation; that side's dependent name is identical (60 %), has a folded spelling
  confusion such as ㅐ/ㅔ or final ㅇ/ㄴ (25 %) or lacks one syllable (15 %); the birth date
  and relation are the same.

Decoys that must not be reported: transfers closed in time (``closed_transfer``), spouses who
split their children between them (``split_children``), namesakes at keyed organisations — the
same name, birth date and relation under different keys (``namesakes``) — and second claims
that start only after ``as_of`` (``after_as_of``).

No accidental look-alikes: a claim at a keyless organisation never shares a birth date with an
unrelated claim whose dependent name is the same after folding spelling confusions, or is the
same with one syllable more or less; such collisions are found after drawing and the birth date
of one side is re-drawn. ``Truth.redrawn`` counts the re-drawn birth dates: at national scale it
shows how many natural look-alikes a name-and-birth-date linkage could not tell apart.
"""

from insa.allowance.synth_claims.common import RELATIONS
from insa.allowance.synth_claims.generator import generate
from insa.allowance.synth_claims.names import VARIATIONS
from insa.allowance.synth_claims.orgs import Org, organisations
from insa.allowance.synth_claims.truth import DECOY_KINDS, PairKey, Truth

__all__ = [
    "DECOY_KINDS",
    "RELATIONS",
    "VARIATIONS",
    "Org",
    "PairKey",
    "Truth",
    "generate",
    "organisations",
]
