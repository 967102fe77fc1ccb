"""The collector's configuration: the example loads; every mistake is named with its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from insa.cyber.collector import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_loads() -> None:
    cfg = load_config(ROOT / "examples/cyber/collector.yaml")
    assert cfg.udp == ("127.0.0.1", 5514) and cfg.tcp == ("127.0.0.1", 5514)
    assert cfg.ministry_of("127.0.0.1") == "MPVA" and cfg.ministry_of("10.20.3.4") == "MOLEG"
    assert cfg.ministry_of("192.0.2.1") is None  # nobody's: a dead letter


def test_every_key(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(
        """name: c1
listen: {tcp: "[::1]:6514"}
ministry: MPM
senders: [{ministry: KDCA, networks: [2001:db8::/32]}]
rules: [rules]
indicators: ind.yaml
notify: ["json://127.0.0.1:1/x"]
retention_days: 30
files: [{ministry: SDIA, path: inbox}]
""",
        encoding="utf-8",
    )
    cfg = load_config(f)
    assert cfg.tcp == ("::1", 6514) and cfg.udp is None and cfg.ministry_of("2001:db8::5") == "KDCA"
    assert (
        cfg.ministry_of("10.0.0.1") == "MPM"
        and cfg.rules == [tmp_path / "rules"]
        and cfg.retention_days == 30
    )
    assert cfg.files == [("SDIA", tmp_path / "inbox")] and cfg.indicators == tmp_path / "ind.yaml"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("listen: {tcp: 5514}", "호스트:포트"),
        ("listen: {udp: 'x:99999'}", "호스트:포트"),
        ("senders: [{ministry: MPM}]", "senders[0]"),
        ("senders: [{ministry: MPM, networks: [10.0.0.0/33]}]", "networks"),
        ("retention_days: 0", "retention_days"),
        ("files: [{path: x}]", "files[0]"),
        ("bogus: 1", "알 수 없는 항목"),
        ("listen: [", "YAML"),
        ("- 1", "매핑"),
    ],
)
def test_mistakes_are_named_with_the_file(tmp_path: Path, text: str, says: str) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=str(f).replace("\\", "\\\\")) as got:
        load_config(f)
    assert says in str(got.value)
