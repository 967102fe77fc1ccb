"""The rules for a SIEM cluster (pySigma's backends): every shipped rule converted for each
target or named as not convertible there; the output parses (JSON lines; Splunk's
savedsearches.conf); a sample of queries checked by hand."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from insa.cli import app
from insa.cyber.export import TARGETS, export
from insa.cyber.sigma import shipped_dir

HQ = Path(__file__).parent / "data" / "sigmahq"
SHIPPED = {"insa_bruteforce", "insa_failures_across_ministries", "insa_password_spray", "insa_success_after_bruteforce",
           "insa_web_scan", "insa_lookalike_proxy", "insa_lookalike_dns", "insa_indicators"}  # fmt: skip


@pytest.mark.parametrize("target", TARGETS)
def test_every_shipped_rule_is_converted_or_named(target: str) -> None:
    done = export(
        [shipped_dir()],
        target,
        {"lookalike_domains": ["gosi-kr.com"], "indicators_ip": ["203.0.113.9"]},
    )
    assert set(done.converted) | {n for n, _ in done.skipped} == SHIPPED
    assert [n for n, _ in done.skipped] == [
        "insa_success_after_bruteforce"
    ]  # a correlation of a correlation
    if target == "splunk":
        conf = configparser.RawConfigParser(
            strict=True
        )  # Splunk's .conf: a line ending in \ goes on
        conf.read_string(re.sub(r"\\\n", " ", done.text))
        searches = {s: conf[s]["search"] for s in conf.sections() if s != "default"}
        assert len(searches) == len(SHIPPED) - 1
        spray = searches["비밀번호 살포 (Password spray)"]
        assert 'event.outcome="failure"' in spray and "bin _time span=5m" in spray
        assert (
            "stats dc(user.name) as value_count by _time source.ip" in spray
            and "value_count >= 20" in spray
        )
        assert (
            searches["사칭 사이트 접속 (A look-alike domain in a ministry's proxy logs)"]
            == 'url.domain="gosi-kr.com"'
        )
    else:
        rows = [json.loads(x) for x in done.text.splitlines()]
        assert len(rows) == len(done.converted) and all(r["query"] and r["id"] for r in rows)
        by = {r["name"]: r["query"] for r in rows}
        if target == "elasticsearch":
            assert (
                by["insa_lookalike_dns"]
                == 'from * metadata _id, _index, _version | where dns.question.name=="gosi-kr.com"'
            )
            assert (
                "stats value_count=count_distinct(organization.id) by timebucket, source.ip"
                in by["insa_failures_across_ministries"]
            )
        else:
            assert by["insa_lookalike_proxy"] == 'source=proxy-* | where `url.domain`="gosi-kr.com"'
            assert "stats count() as event_count by source.ip" in by["insa_web_scan"]


def test_the_published_sigmahq_rules_convert_for_every_target() -> None:
    for target in TARGETS:
        done = export([HQ], target)
        assert len(done.converted) >= 85, (
            target,
            done.skipped[:3],
        )  # a backend may refuse an odd one, by name
        if target != "splunk":
            assert all(json.loads(x)["query"] for x in done.text.splitlines())


def test_the_command_writes_standard_output_or_a_file(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["cyber", "rules", "export", "--target", "opensearch"])
    assert r.exit_code == 0 and '"language": "ppl"' in r.output
    out = tmp_path / "splunk.conf"
    r = CliRunner().invoke(app, ["cyber", "rules", "export", "--target", "splunk", "-o", str(out)])
    assert r.exit_code == 0 and out.read_text(encoding="utf-8").startswith("[default]")
    bad = CliRunner().invoke(app, ["cyber", "rules", "export", "--target", "qradar"])
    assert bad.exit_code == 2 and "opensearch" in bad.output
