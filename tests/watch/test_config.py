"""Monitors as configuration: Gatus's own files accepted as they are; a directory merged as
Gatus merges one; environment substitution; every problem named with its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from insa.cli import app
from insa.watch.config import load, substitute
from insa.watch.schemas import Config

EXAMPLES = Path(__file__).parent / "data" / "gatus_examples"
ENV = {"POSTGRES_USER": "u", "POSTGRES_PASSWORD": "p", "POSTGRES_DB": "d"}


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _messages(found: Config, severity: str = "error") -> list[str]:
    return [f"{Path(p.where.file).name}:{p.where.line}: {p.message}" for p in found.problems
            if p.severity == severity]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "monitors", "kinds"),
    [("root.yaml", 7, {"http", "icmp", "dns", "tcp"}), ("postgres-storage.yaml", 5, {"http", "icmp", "dns"}),
     ("mtls.yaml", 1, {"http"}), ("grafana-prometheus.yaml", 4, {"http"}),
     ("multiple", 4, {"http", "icmp"})],
)  # fmt: skip
def test_gatus_own_configurations_are_accepted_as_they_are(
    name: str, monitors: int, kinds: set[str]
) -> None:
    found = load(EXAMPLES / name, ENV)
    assert found.ok, _messages(found)
    assert len(found.monitors) == monitors
    assert {m.kind for m in found.monitors} <= kinds | {"http"}


def test_unused_sections_are_reported_as_ignored_never_as_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.yaml", """
        storage:
          type: sqlite
          path: data.db
        web:
          port: 8080
        ui:
          title: 상태
        security:
          basic:
            username: admin
        endpoints:
          - name: home
            url: https://www.mpm.go.kr/
            conditions: ["[STATUS] == 200"]
        """)  # fmt: skip
    found = load(path, {})
    assert found.ok
    ignored = _messages(found, "ignored")
    assert [m.split(":")[1] for m in ignored] == ["1", "4", "6", "8"]
    assert all(m.split(": ", 1)[1].startswith(f"'{k}'") for m, k in
               zip(ignored, ("storage", "web", "ui", "security"), strict=True))  # fmt: skip


def test_every_error_names_its_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", """
        endpoints:
          - name: no-url
            conditions: ["[STATUS] == 200"]
          - name: sctp
            url: sctp://10.0.0.1:9000
            conditions: ["[CONNECTED] == true"]
          - name: bad-condition
            url: https://a.go.kr/
            conditions:
              - "[STATUS] == 200"
              - "[STATUS]==200"
              - "[STAUS] == 200"
          - name: domain
            url: https://a.go.kr/
            interval: 1m
            conditions: ["[DOMAIN_EXPIRATION] > 720h"]
          - name: dns
            url: 8.8.8.8
            dns: {query-name: example.com}
            conditions: ["[DNS_RCODE] == NOERROR"]
          - name: interval
            url: https://a.go.kr/
            interval: 5 minutes
            conditions: ["[STATUS] == 200"]
          - name: tcp-no-port
            url: tcp://db.internal
            conditions: ["[CONNECTED] == true"]
        """)  # fmt: skip
    found = load(path, {})
    errors = _messages(found)
    assert not found.ok
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == [2, 5, 11, 12, 16, 19, 23, 26], errors
    assert "sctp://" in errors[1] and "'url'" in errors[0]
    assert (
        "[STAUS]" in errors[3]
        and "5m" in errors[4]
        and "query-type" in errors[5]
        or "DNS" in errors[5]
    )


def test_unsupported_client_settings_and_schemes_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.yaml", """
        endpoints:
          - name: grpc
            url: grpc://svc:50051
            conditions: ["[CONNECTED] == true"]
          - name: oauth
            url: https://a.go.kr/
            client:
              oauth2: {token-url: https://a.go.kr/token, client-id: x, client-secret: y}
            conditions: ["[STATUS] == 200"]
          - name: ssh
            url: ssh://host:22
            conditions: ["[CONNECTED] == true"]
        suites:
          - name: flow
        """)  # fmt: skip
    errors = _messages(load(path, {}))
    assert [int(e.split(":")[1]) for e in errors] == [3, 8, 11, 13], errors


def test_the_supported_kinds_and_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.yaml", """
        endpoints:
          - {name: web, group: 인사, url: "https://a.go.kr/", conditions: ["[STATUS] == 200"]}
          - {name: tcp, url: "tcp://db:5432", interval: 30s, conditions: ["[CONNECTED] == true"]}
          - {name: udp, url: "udp://ntp:123", conditions: ["[CONNECTED] == true"]}
          - {name: ping, url: "icmp://10.0.0.1", conditions: ["[CONNECTED] == true"]}
          - {name: tls, url: "tls://a.go.kr:443", conditions: ["[CERTIFICATE_EXPIRATION] > 48h"]}
          - {name: ws, url: "wss://a.go.kr/ws", body: ping, conditions: ["[CONNECTED] == true"]}
          - name: dns
            url: 127.0.0.1:5353
            dns: {query-name: gosi.kr, query-type: A}
            conditions: ["[DNS_RCODE] == NOERROR", "[BODY] == pat(*.*.*.*)"]
          - name: mtls
            url: https://a.go.kr/
            client:
              timeout: 3s
              tls: {certificate-file: c.pem, private-key-file: k.pem}
            conditions: ["[STATUS] == 200"]
          - name: domain
            url: https://a.go.kr/
            interval: 1h
            conditions: ["[DOMAIN_EXPIRATION] > 720h"]
        external-endpoints:
          - name: nightly-batch
            token: s3cret-token
            heartbeat: {interval: 24h, grace: 30m}
        """)  # fmt: skip
    found = load(path, {})
    assert found.ok, _messages(found)
    by = {m.key: m for m in found.monitors}
    assert [by[k].kind for k in ("인사/web", "tcp", "udp", "ping", "tls", "ws", "dns", "mtls")] == [
        "http", "tcp", "udp", "icmp", "tls", "websocket", "dns", "http"]  # fmt: skip
    web = by["인사/web"]
    assert (web.interval_ms, web.timeout_ms, web.failure_threshold, web.success_threshold,
            web.method) == (60_000, 10_000, 3, 2, "GET")  # fmt: skip
    assert by["tcp"].interval_ms == 30_000 and by["mtls"].timeout_ms == 3_000
    assert by["mtls"].client_tls is not None and by["mtls"].client_tls.private_key_file == "k.pem"
    assert (by["dns"].dns_query_name, by["dns"].dns_query_type) == ("gosi.kr", "A")
    push = by["nightly-batch"]
    assert push.kind == "push" and push.heartbeat is not None
    assert (push.heartbeat.interval_ms, push.heartbeat.grace_ms) == (86_400_000, 1_800_000)


def test_a_directory_is_merged_as_gatus_merges_it(tmp_path: Path) -> None:
    _write(tmp_path, "a/alerting.yaml", """
        alerting:
          slack:
            webhook-url: https://hooks.slack.com/services/T000/B000/XXXX
        """)  # fmt: skip
    _write(tmp_path, "b.yml", """
        alerting:
          custom:
            url: https://hooks.example.kr/insa
        endpoints:
          - name: one
            url: https://a.go.kr/
            conditions: ["[STATUS] == 200"]
            alerts: [{type: slack}, {type: custom, failure-threshold: 5}]
        """)  # fmt: skip
    _write(tmp_path, "c.yaml", """
        endpoints:
          - name: two
            url: https://b.go.kr/
            conditions: ["[STATUS] == 200"]
        """)  # fmt: skip
    _write(tmp_path, "notes.txt", "not a configuration")
    found = load(tmp_path, {})
    assert found.ok, _messages(found)
    assert [Path(f).name for f in found.files] == ["alerting.yaml", "b.yml", "c.yaml"]
    assert [m.name for m in found.monitors] == ["one", "two"]
    assert set(found.notifiers) == {"slack", "custom"}
    assert found.notifiers["custom"] == ("jsons://hooks.example.kr/insa",)
    one = found.monitors[0]
    assert [a.failure_threshold for a in one.alerts] == [3, 5] and all(
        a.delivers for a in one.alerts
    )
    assert Path(one.where.file).name == "b.yml" and one.where.line == 5


def test_a_plain_value_defined_in_two_files_is_an_error_naming_both(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "concurrency: 3\nendpoints: []\n")
    _write(tmp_path, "b.yaml", "concurrency: 5\n")
    errors = _messages(load(tmp_path, {}))
    assert len(errors) >= 1 and errors[0].startswith("b.yaml:1:") and "a.yaml:1" in errors[0]


def test_environment_variables_as_gatus_substitutes_them(tmp_path: Path) -> None:
    text, unset = substitute("a: ${HOST}\nb: $PORT\nc: pa$$word\nd: ${MISSING}\n",
                             {"HOST": "x.go.kr", "PORT": "8443"})  # fmt: skip
    assert text == "a: x.go.kr\nb: 8443\nc: pa$word\nd: \n"
    assert unset == [(4, "MISSING")]
    path = _write(tmp_path, "c.yaml", """
        endpoints:
          - name: api
            url: https://${API_HOST}/health
            headers: {Authorization: "Bearer $API_TOKEN"}
            conditions: ["[STATUS] == 200"]
        """)  # fmt: skip
    found = load(path, {"API_HOST": "api.go.kr"})
    assert found.monitors[0].url == "https://api.go.kr/health"
    assert _messages(found, "warning") == [
        "c.yaml:4: 환경 변수 API_TOKEN가 설정되지 않아 빈 값으로 바꿨습니다"]  # fmt: skip


def test_an_alert_without_its_provider_keeps_its_thresholds_and_sends_nothing(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "c.yaml", """
        endpoints:
          - name: api
            url: https://a.go.kr/
            conditions: ["[STATUS] == 200"]
            alerts: [{type: telegram, failure-threshold: 4, success-threshold: 3}]
        """)  # fmt: skip
    found = load(path, {})
    assert found.ok
    api = found.monitors[0]
    assert (api.failure_threshold, api.success_threshold) == (4, 3)  # the first alert's
    assert not api.alerts[0].delivers
    assert any("telegram" in w for w in _messages(found, "warning"))


def test_insa_additions(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.yaml", """
        endpoints:
          - name: db
            group: 공통
            ministry: MPM
            url: tcp://db:5432
            conditions: ["[CONNECTED] == true"]
          - name: 인사
            ministry: MPM
            url: https://a.go.kr/
            depends-on: [db]
            failure-threshold: 2
            success-threshold: 1
            alerts: [{type: custom}]
            conditions: ["[STATUS] == 200"]
          - name: 보훈
            ministry: MPVA
            url: https://b.go.kr/
            depends-on: [공통/db, 인사]
            conditions: ["[STATUS] == 200"]
        """)  # fmt: skip
    found = load(path, {})
    assert found.ok, _messages(found)
    by = {m.name: m for m in found.monitors}
    assert by["인사"].depends_on == ("공통/db",) and by["보훈"].depends_on == ("공통/db", "인사")
    assert (by["인사"].failure_threshold, by["인사"].success_threshold) == (2, 1)
    assert by["보훈"].ministry == "MPVA"


def test_dependency_mistakes_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.yaml", """
        endpoints:
          - {name: a, url: "https://a.go.kr/", depends-on: [b], conditions: ["[STATUS] == 200"]}
          - {name: b, url: "https://b.go.kr/", depends-on: [a], conditions: ["[STATUS] == 200"]}
          - {name: c, url: "https://c.go.kr/", depends-on: [nowhere], conditions: ["[STATUS] == 200"]}
          - {name: c, url: "https://d.go.kr/", conditions: ["[STATUS] == 200"]}
        """)  # fmt: skip
    errors = _messages(load(path, {}))
    assert any("돌고 돕니다" in e and "a → b → a" in e for e in errors), errors
    assert any("nowhere" in e for e in errors) and any(
        "c.yaml:5:" in e and "c.yaml:4" in e for e in errors
    )


def test_validate_command(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", """
        storage: {type: memory}
        endpoints:
          - {name: a, url: "https://a.go.kr/", conditions: ["[STATUS] == 200"]}
        """)  # fmt: skip
    bad = _write(tmp_path, "bad.yaml", """
        endpoints:
          - {name: a, url: "sctp://a:1", conditions: ["[CONNECTED] == true"]}
          - {name: b, url: "https://b.go.kr/", conditions: ["[BODY].x = 1"]}
        """)  # fmt: skip
    runner = CliRunner()
    ok = runner.invoke(app, ["watch", "validate", str(good)])
    assert ok.exit_code == 0, ok.output
    assert f"{good}:1: (무시) 'storage'" in ok.output and "점검 1개" in ok.output
    no = runner.invoke(app, ["watch", "validate", str(bad)])
    assert no.exit_code == 1
    lines = [line for line in no.output.splitlines() if line.startswith(str(bad))]
    assert [line.split(":")[1] for line in lines] == ["2", "3"]


def test_a_yaml_bomb_is_refused_before_it_grows(tmp_path: Path) -> None:
    def bomb(per_level: int) -> str:
        levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in range(1, 7):
            levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * per_level) + "]")
        return "\n".join(levels) + (
            "\nendpoints:\n  - {name: b, url: 'https://a.go.kr/', conditions: *a6}\n"
        )

    big = load(_write(tmp_path, "big.yaml", bomb(200)), {})  # 1,201 aliases: 10 × 200⁶ items
    assert not big.ok and "별칭" in big.errors[0].message
    small = load(_write(tmp_path, "small.yaml", bomb(10)), {})  # under the limit: not strings
    assert not small.ok and "문자열" in small.errors[0].message


def test_the_example_configuration_in_the_repository_is_valid() -> None:
    example = Path(__file__).parents[2] / "examples" / "watch" / "monitors.yaml"
    found = load(example, {"INSA_WATCH_BATCH_TOKEN": "batch-token-2026"})
    assert found.ok, _messages(found)
    assert {m.ministry for m in found.monitors} >= {"MPM", "MPVA"}
    assert found.maintenance is not None and found.maintenance.timezone == "Asia/Seoul"
    assert set(found.notifiers) == {"custom", "email"}
