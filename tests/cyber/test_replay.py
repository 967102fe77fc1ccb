"""Attack scenarios from the generator (events_gen.py) replayed through the shipped Sigma
rules: the spray across three ministries is one joint incident; a brute force followed by
success is one incident of one ministry with both rules; a web scan is one; benign noise at
volume makes none. And the replay command's contract: its input lines, its output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from insa.cli import app
from insa.cyber import sigma
from insa.cyber.replay import placeholders, replay

from . import events_gen as gen

SPRAY_ACROSS = "0b6c1a52-5d47-4b0e-9a33-7a1f0c2e9d10"
SPRAY = "0b6c1a52-5d47-4b0e-9a33-7a1f0c2e9d11"
BRUTE = "0b6c1a52-5d47-4b0e-9a33-7a1f0c2e9d12"
BRUTE_OK = "0b6c1a52-5d47-4b0e-9a33-7a1f0c2e9d13"
SCAN = "0b6c1a52-5d47-4b0e-9a33-7a1f0c2e9d21"
LOOKALIKE_PROXY = "0b6c1a52-5d47-4b0e-9a33-7a1f0c2e9d30"


def _write(tmp: Path, events: list[dict[str, Any]]) -> Path:
    path = tmp / "events.jsonl"
    path.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def rules() -> sigma.RuleSet:
    found = sigma.load([sigma.shipped_dir()], placeholders(["gosi-kr.com"]))
    assert not found.problems
    return found


def test_the_scenarios_become_the_expected_incidents(tmp_path: Path, rules: sigma.RuleSet) -> None:
    events = gen.spray() + gen.brute_then_success() + gen.web_scan() + list(gen.noise(5000))
    done = replay(_write(tmp_path, events), rules)
    assert not done.dead
    by_rule = {r: i for i in done.incidents for r in i.rules}
    assert len(done.incidents) == 3, [i.as_json() for i in done.incidents]
    joint = by_rule[SPRAY_ACROSS]
    assert joint is by_rule[SPRAY]  # one source: one incident, both rules
    assert (
        joint.joint
        and joint.ministries == {"MPM", "MPVA", "MOLEG"}
        and joint.sources == {"203.0.113.77"}
    )
    assert len(joint.events) == 24  # every failure of the spray, not only those at the alert
    brute = by_rule[BRUTE_OK]
    assert brute is by_rule[BRUTE] and not brute.joint and brute.ministries == {"KDCA"}
    assert len(brute.events) == 13  # twelve failures and the success
    assert "attack.t1078" in brute.tags and brute.level == "critical"
    scan = by_rule[SCAN]
    assert (
        scan.sources == {"192.0.2.150"} and scan.ministries == {"NAACC"} and len(scan.events) == 45
    )


def test_noise_at_volume_makes_no_incident(tmp_path: Path, rules: sigma.RuleSet) -> None:
    done = replay(_write(tmp_path, list(gen.noise(30_000, seed=11))), rules)
    assert done.events == 30_000 and not done.dead
    assert done.incidents == [], [i.as_json() for i in done.incidents[:3]]
    assert (
        done.hits.get("0b6c1a52-5d47-4b0e-9a33-7a1f0c2e9d01", 0) > 100
    )  # the failures were seen, too few to alert


def test_two_ministries_below_three_is_not_the_cross_ministry_rule(
    tmp_path: Path, rules: sigma.RuleSet
) -> None:
    done = replay(_write(tmp_path, gen.spray(ministries=("MPM", "MPVA"), users=24)), rules)
    (inc,) = done.incidents
    assert (
        inc.rules == [SPRAY] and inc.joint
    )  # a spray at two ministries: joint, but not the 3-ministry rule


def test_a_lookalike_domain_in_a_proxy_log_alerts(tmp_path: Path, rules: sigma.RuleSet) -> None:
    at = gen._iso(gen.T0)
    events = [{"@timestamp": at, "organization.id": "MPVA", "event.dataset": "proxy", "event.category": "web",
               "url.domain": "GOSI-KR.com", "source.ip": "10.2.3.4", "user.name": "lee"},
              {"@timestamp": at, "organization.id": "MPVA", "event.dataset": "proxy", "event.category": "web",
               "url.domain": "www.gosi.kr", "source.ip": "10.2.3.5"}]  # fmt: skip
    (inc,) = replay(_write(tmp_path, events), rules).incidents
    assert inc.rules == [LOOKALIKE_PROXY] and inc.sources == {
        "10.2.3.4"
    }  # case-insensitive, as Sigma says


def test_the_replay_command_keeps_its_contract(tmp_path: Path) -> None:
    events = gen.spray()
    events.insert(3, {"organization.id": "MPM", "log.format": "sshd"})  # no message: a dead letter
    src = _write(tmp_path, events)
    with src.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    out, dead = tmp_path / "incidents.jsonl", tmp_path / "dead.jsonl"
    r = CliRunner().invoke(
        app, ["cyber", "replay", str(src), "-o", str(out), "--dead-letters", str(dead)]
    )
    assert r.exit_code == 0, r.output
    (line,) = out.read_text(encoding="utf-8").splitlines()
    got = json.loads(line)
    assert list(got) == [
        "incident",
        "rules",
        "ministries",
        "source.ip",
        "first",
        "last",
        "events",
        "joint",
    ]
    assert (
        got["ministries"] == ["MOLEG", "MPM", "MPVA"]
        and got["joint"] is True
        and got["events"] == 24
    )
    assert got["source.ip"] == ["203.0.113.77"] and got["first"] == "2026-11-30T23:50:00.000Z"
    assert got["rules"] == [SPRAY_ACROSS, SPRAY]
    letters = [json.loads(x) for x in dead.read_text(encoding="utf-8").splitlines()]
    assert [x["where"].rsplit(":", 1)[1] for x in letters] == [
        "4",
        "26",
    ] and "읽지 못한 줄" in r.output
    again = tmp_path / "again.jsonl"
    CliRunner().invoke(app, ["cyber", "replay", str(src), "-o", str(again)])
    assert again.read_text(encoding="utf-8") == out.read_text(
        encoding="utf-8"
    )  # the same run, the same ids


def test_rules_the_replay_is_given_replace_the_shipped_ones(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "r.yml").write_text(
        """title: any failure
id: 9f1b6a52-0000-4000-8000-000000000001
logsource: {category: authentication}
detection:
  sel: {event.outcome: failure}
  condition: sel
level: low
""",
        encoding="utf-8",
    )
    out = tmp_path / "i.jsonl"
    r = CliRunner().invoke(app, ["cyber", "replay", str(_write(tmp_path, gen.spray(users=3))), "-o", str(out),
                                 "--rules", str(folder)])  # fmt: skip
    assert r.exit_code == 0, r.output
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["rules"] == ["9f1b6a52-0000-4000-8000-000000000001"]


def test_indicators_in_any_form_match_and_a_range_is_refused(tmp_path: Path) -> None:
    from insa.cyber.replay import read_indicators

    ind = tmp_path / "ind.yaml"
    ind.write_text(
        "ip: ['2001:0DB8:0000::0001', ' 203.0.113.9 ']\ndomain: [evil.example]\n", encoding="utf-8"
    )
    rules = sigma.load([sigma.shipped_dir()], placeholders((), read_indicators(ind)))
    at = gen._iso(gen.T0)
    events = [{"@timestamp": at, "organization.id": "MPM", "event.category": "network", "source.ip": "2001:db8::1"},
              {"@timestamp": at, "organization.id": "MPM", "event.category": "network", "destination.ip": "203.0.113.9"}]  # fmt: skip
    done = replay(_write(tmp_path, events), rules)
    assert [a.title for a in done.alerts].count(
        "공유 위협 지표 일치 (A shared indicator of the centre)"
    ) == 2
    ind.write_text("ip: [203.0.113.0/24]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ip\[0\]"):
        read_indicators(ind)
