"""``generate``: the steps of the claims generator, in the order they draw random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from insa.allowance.synth_claims.common import AsOf
from insa.allowance.synth_claims.files import claim_table, write_claims
from insa.allowance.synth_claims.households import draw_world
from insa.allowance.synth_claims.lookalikes import redraw_birth_dates
from insa.allowance.synth_claims.names import vary_names
from insa.allowance.synth_claims.orgs import organisations
from insa.allowance.synth_claims.plants import plant, quota
from insa.allowance.synth_claims.rows import claim_rows, number_claims, pair_rows
from insa.allowance.synth_claims.truth import Truth, ground_truth


def generate(
    out_dir: Path,
    *,
    rows: int,
    orgs: int = 160,
    seed: int = 7,
    as_of: str = "2025-12",
    keyless_org_share: float = 0.1,
    plant_share: float = 0.002,
) -> Truth:
    """Write one exchange-format CSV per organisation into ``out_dir``; return the truth.

    Every step draws from the one generator seeded with ``seed``: the order of the steps,
    and of the draws within them, is what makes the same seed give the same files.
    """
    rng = np.random.default_rng(seed)
    asof = AsOf.parse(as_of)
    org_list = organisations(orgs, rng, keyless_org_share, as_of)
    q = quota(rows, plant_share, any(o.keyless for o in org_list))
    world = draw_world(rng, org_list, q.base, asof)
    planted = plant(rng, world, q)
    claims = claim_rows(world, planted.extras)
    pairs, probable = pair_rows(q.base, planted.extras.plan)
    variation = vary_names(rng, claims.name, claims.keyless, probable)
    redrawn = redraw_birth_dates(rng, world, claims, planted.pick.used)
    numbering = number_claims(claims.org, claims.start)
    truth = ground_truth(world.codes, claims, numbering, pairs, variation, planted)
    table = claim_table(world, claims, numbering)
    files = write_claims(out_dir, table, numbering, claims.org, world.codes)
    truth.redrawn = redrawn
    truth.files = tuple(files)
    return truth
