"""Synthetic salary accounts: a bank and an account number for every employee.

The banks are drawn with rough shares of public servants' salary banks (an assumption for a
synthetic government, not an official figure); the digits are random, 11 to 14 of them, from
a generator of their own so that adding accounts leaves every other draw of a seed unchanged.
"""

from __future__ import annotations

import numpy as np

from insa.people.accounts import AccountNumber, seal
from insa.people.synth.common import I64, Columns
from insa.security.crypto import RRNCipher

BANK_SHARES = {
    "004": 0.22, "011": 0.20, "088": 0.14, "020": 0.12, "081": 0.10, "003": 0.08,
    "071": 0.05, "090": 0.04, "031": 0.02, "032": 0.02, "045": 0.01,
}  # fmt: skip


def account_columns(
    seed: int, chunk: int, ids: I64, names: list[str], cipher: RRNCipher
) -> Columns:
    """The ``salary_accounts`` rows of one chunk (``updated_at`` is the writer's to add)."""
    rng = np.random.default_rng([seed, 1 + chunk, 97])
    n = len(ids)
    codes = list(BANK_SHARES)
    shares = np.array(list(BANK_SHARES.values()))
    bank = rng.choice(len(codes), n, p=shares / shares.sum())
    lengths = rng.integers(11, 15, n)
    digits = rng.integers(0, 10, (n, 14))
    digits[:, 0] = rng.integers(1, 10, n)  # no leading zero
    digits[:, 1] = (digits[:, 0] + rng.integers(1, 10, n)) % 10  # never one digit repeated
    rows = zip(digits.tolist(), lengths.tolist(), strict=True)
    numbers = ["".join(map(str, row[:k])) for row, k in rows]
    return {
        "employee_id": ids.tolist(),
        "bank_code": [codes[b] for b in bank.tolist()],
        "number_encrypted": [seal(cipher, AccountNumber(x)) for x in numbers],
        "holder": list(names),
    }
