"""How long the ``insa`` command takes to start, against the interpreter and the CLI framework
alone (same run, same machine): ``python benchmarks/cli_start.py [--runs 15]``.

Each figure is the median wall time of fresh processes. ``insa --help`` imports the registry
(every package's models, services and commands, not the web framework); ``travel compute``
also reads and settles one trip from a JSON file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIP = [{"id": "t1", "band": 2, "kind": "outside", "start": "2025-03-10T08:00",
         "end": "2025-03-12T19:00", "official_vehicle": False,
         "tickets": [{"mode": "rail", "class": "standard", "fare": 59800, "status": "issued"}],
         "nights": [{"region": "seoul", "lodging": 90000, "relatives": False,
                     "unavoidable": False}]}]  # fmt: skip


def median_seconds(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, capture_output=True, check=False)  # warm the file cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.decode()}")
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        trip = Path(tmp) / "trip.json"
        trip.write_text(json.dumps(TRIP), encoding="utf-8")
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "python -c 'import typer, rich'": [py, "-c", "import typer, rich.progress"],
            "insa --help": [py, "-m", "insa.cli", "--help"],
            "insa travel compute trip.json": [py, "-m", "insa.cli", "travel", "compute", str(trip)],
        }
        result = {name: median_seconds(cmd, args.runs) for name, cmd in cases.items()}
    framework = result["python -c 'import typer, rich'"]
    for name, s in result.items():
        print(f"{name:<34} {s:6.3f} s   {s / framework:4.1f}× the CLI framework alone")


if __name__ == "__main__":
    main()
