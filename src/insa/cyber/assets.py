"""The protected assets file (a fixed public contract), read with every problem named by
file and line:

    assets:
      - id: gosi
        ministry: MPM
        domains: [gosi.kr]
        names: [사이버국가고시센터, 국가고시, gosi]
        lures: [exam, 시험, 원서, 접수, login]
        pages: [https://www.gosi.kr/]
    allow: [korea.kr, go.kr]
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from insa.cyber.schemas import Asset, Assets, Problem, Where

ASSET_KEYS = {"id", "ministry", "domains", "names", "lures", "pages"}
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
MINISTRY = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")


def _construct(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {_construct(k): _construct(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v) for v in node.value]
    loader = yaml.SafeLoader("")
    return loader.construct_object(node)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def load_text(text: str, name: str = "assets.yaml") -> Assets:
    problems: list[Problem] = []

    def bad(line: int, message: str) -> None:
        problems.append(Problem(Where(name, line), message))

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        bad(
            int(mark.line) + 1 if mark is not None else 1,
            f"YAML로 읽을 수 없습니다: {getattr(exc, 'problem', exc)}",
        )
        return Assets(problems=tuple(problems), file=name)
    if not isinstance(root, yaml.MappingNode):
        bad(1, "assets와 allow를 담은 키: 값 문서여야 합니다")
        return Assets(problems=tuple(problems), file=name)
    top = {str(_construct(k)): (k, v) for k, v in root.value}
    for key, (k, _) in top.items():
        if key not in ("assets", "allow"):
            bad(_line(k), f"알 수 없는 키 '{key}' (assets, allow만 씁니다)")
    assets: list[Asset] = []
    seen_ids: dict[str, int] = {}
    seen_domains: dict[str, tuple[str, int]] = {}
    node = top.get("assets", (None, None))[1]
    if node is None:
        bad(1, "'assets'가 필요합니다")
    elif not isinstance(node, yaml.SequenceNode):
        bad(_line(node), "'assets'는 목록이어야 합니다")
    else:
        for item in node.value:
            line = _line(item)
            if not isinstance(item, yaml.MappingNode):
                bad(line, "자산은 id, ministry, domains… 를 담은 키: 값이어야 합니다")
                continue
            fields = {str(_construct(k)): (_line(k), _construct(v)) for k, v in item.value}
            for key, (kl, _) in fields.items():
                if key not in ASSET_KEYS:
                    bad(kl, f"알 수 없는 키 '{key}' (id, ministry, domains, names, lures, pages)")
            asset_id = str(fields.get("id", (line, ""))[1] or "")
            if not ID.match(asset_id):
                bad(
                    fields.get("id", (line, ""))[0],
                    f"id는 영문 소문자·숫자·-·_로 씁니다: {asset_id!r}",
                )
            elif asset_id in seen_ids:
                bad(line, f"id '{asset_id}'가 {name}:{seen_ids[asset_id]}에도 있습니다")
            seen_ids.setdefault(asset_id, line)
            ministry = str(fields.get("ministry", (line, ""))[1] or "")
            if not MINISTRY.match(ministry):
                bad(
                    fields.get("ministry", (line, ""))[0],
                    f"ministry는 기관 코드(예: MPM)입니다: {ministry!r}",
                )
            lists: dict[str, tuple[str, ...]] = {}
            for key in ("domains", "names", "lures", "pages"):
                kl, value = fields.get(key, (line, []))
                if value is None:
                    value = []
                if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                    bad(kl, f"'{key}'는 문자열 목록이어야 합니다")
                    value = []
                lists[key] = tuple(str(v).strip() for v in value if str(v).strip())
            domains = tuple(d.lower().rstrip(".") for d in lists["domains"])
            if not domains:
                bad(
                    fields.get("domains", (line, None))[0],
                    "공식 도메인(domains)이 하나 이상 필요합니다",
                )
            for d in domains:
                if not DOMAIN.match(_ascii(d)):
                    bad(fields["domains"][0], f"도메인이 아닙니다: {d}")
                elif d in seen_domains and seen_domains[d][0] != asset_id:
                    bad(
                        fields["domains"][0],
                        f"도메인 {d}가 자산 '{seen_domains[d][0]}'({name}:{seen_domains[d][1]})에도 있습니다",
                    )
                seen_domains.setdefault(d, (asset_id, line))
            for page in lists["pages"]:
                if not re.match(r"^https?://", page):
                    bad(fields["pages"][0], f"공식 페이지는 http(s):// 주소입니다: {page}")
            assets.append(Asset(asset_id, ministry, domains, lists["names"], lists["lures"], lists["pages"],
                                Where(name, line)))  # fmt: skip
    allow: tuple[str, ...] = ()
    if "allow" in top:
        k, v = top["allow"]
        value = _construct(v)
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            bad(_line(v), "'allow'는 도메인·접미사 목록이어야 합니다")
        else:
            allow = tuple(x.strip().lower().lstrip("*.").rstrip(".") for x in value if x.strip())
    return Assets(tuple(assets), allow, tuple(sorted(problems, key=lambda p: p.where.line)), name)


def _ascii(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def load(path: Path) -> Assets:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Assets(
            problems=(Problem(Where(str(path), 1), f"파일을 읽을 수 없습니다: {exc}"),),
            file=str(path),
        )
    return load_text(text, str(path))
