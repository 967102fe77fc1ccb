"""A synthetic government: agencies, org units, employees, families and a year of payroll.

Deterministic: the same ``seed`` and employee count give the same people, families and pay
(ciphertexts differ, because every encryption draws a fresh nonce). Work is done in chunks
of employees, vectorised with NumPy, so 400,000 employees fit in a bounded amount of memory.

What is planted on purpose (recorded in ``seed_plants`` as ground truth for verification):
- ``couple_double_child``: both public-servant spouses claim the family allowance for the
  same child;
- ``sibling_double_parent``: two employees who are siblings both claim the same parent;
- ``overage_child``: a child's claim was not closed at 19.
"""

from insa.people.synth.chunk import Chunk, generate
from insa.people.synth.dependents import Families
from insa.people.synth.names import surname_of
from insa.people.synth.plants import PLANT_RATE
from insa.people.synth.population import Population, SeedConfig, plan
from insa.people.synth.rrns import make_rrns

__all__ = [
    "PLANT_RATE",
    "Chunk",
    "Families",
    "Population",
    "SeedConfig",
    "generate",
    "make_rrns",
    "plan",
    "surname_of",
]
