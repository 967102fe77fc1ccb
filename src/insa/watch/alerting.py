"""Gatus's alerting providers as Apprise notification URLs (Apprise delivers insa's
notifications). A provider that has no Apprise service, or whose settings insa cannot yet
turn into one, is named by ``insa watch validate``; its alerts keep their thresholds and
send nothing, as Gatus does for a provider it has no settings for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

# every provider Gatus knows (README, "Alerting"), so that a misspelt type is told apart
GATUS_PROVIDERS = frozenset({
    "awsses", "aws-ses", "clickup", "custom", "datadog", "discord", "email", "gitea", "github",
    "gitlab", "googlechat", "gotify", "homeassistant", "ifttt", "ilert", "incident-io", "line",
    "matrix", "mattermost", "messagebird", "n8n", "newrelic", "ntfy", "opsgenie", "pagerduty",
    "plivo", "pushover", "rocketchat", "sendgrid", "signal", "signl4", "slack", "splunk",
    "squadcast", "teams", "teams-workflows", "telegram", "twilio", "vonage", "webex", "zapier",
    "zulip",
})  # fmt: skip


def _text(cfg: Mapping[str, Any], key: str) -> str:
    value = cfg.get(key)
    return "" if value is None else str(value)


def _webhook(cfg: Mapping[str, Any]) -> list[str]:
    """Services whose own webhook URL Apprise takes as it is (Slack, Discord, Google Chat,
    Teams workflows)."""
    return [_text(cfg, "webhook-url")] if _text(cfg, "webhook-url") else []


def _custom(cfg: Mapping[str, Any]) -> list[str]:
    url = _text(cfg, "url")
    if not url:
        return []
    parts = urlsplit(url)
    scheme = {"https": "jsons", "http": "json"}.get(parts.scheme)
    if scheme is None:
        return []
    args = {f"+{k}": str(v) for k, v in (cfg.get("headers") or {}).items()}
    if _text(cfg, "method") and _text(cfg, "method").upper() != "POST":
        args["method"] = _text(cfg, "method").upper()
    query = ("&" if parts.query else "") + urlencode(args) if args else ""
    return [
        f"{scheme}://{parts.netloc}{parts.path or '/'}"
        + (f"?{parts.query}{query}" if parts.query or query else "")
    ]


def _email(cfg: Mapping[str, Any]) -> list[str]:
    host, sender, to = _text(cfg, "host"), _text(cfg, "from"), _text(cfg, "to")
    if not (host and sender and to):
        return []
    port = int(cfg.get("port") or 25)
    user = _text(cfg, "username") or sender
    password = _text(cfg, "password")
    auth = f"{quote(user, safe='')}:{quote(password, safe='')}@" if password else ""
    insecure = bool((cfg.get("client") or {}).get("insecure"))
    args = {"smtp": host, "from": sender, "to": to}
    if port == 465:
        args["mode"] = "ssl"
    elif insecure or not password:
        args["mode"] = "insecure"
    scheme = "mailtos" if port == 465 else "mailto"
    domain = sender.rpartition("@")[2] or host
    return [f"{scheme}://{auth}{domain}:{port}?{urlencode(args)}"]


def _telegram(cfg: Mapping[str, Any]) -> list[str]:
    token, chat = _text(cfg, "token"), _text(cfg, "id")
    return [f"tgram://{token}/{chat}"] if token and chat else []


def _mattermost(cfg: Mapping[str, Any]) -> list[str]:
    parts = urlsplit(_text(cfg, "webhook-url"))
    key = parts.path.rstrip("/").rpartition("/hooks/")[2]
    if not (parts.netloc and key):
        return []
    return [f"{'mmosts' if parts.scheme == 'https' else 'mmost'}://{parts.netloc}/{key}"]


def _ntfy(cfg: Mapping[str, Any]) -> list[str]:
    topic = _text(cfg, "topic")
    parts = urlsplit(_text(cfg, "url") or "https://ntfy.sh")
    if not topic:
        return []
    token = _text(cfg, "token")
    auth = f"{quote(token, safe='')}@" if token else ""
    return [f"{'ntfys' if parts.scheme == 'https' else 'ntfy'}://{auth}{parts.netloc}/{topic}"]


def _gotify(cfg: Mapping[str, Any]) -> list[str]:
    parts, token = urlsplit(_text(cfg, "server-url")), _text(cfg, "token")
    if not (parts.netloc and token):
        return []
    return [
        f"{'gotifys' if parts.scheme == 'https' else 'gotify'}://{parts.netloc}{parts.path.rstrip('/')}/{token}"
    ]


def _opsgenie(cfg: Mapping[str, Any]) -> list[str]:
    return [f"opsgenie://{_text(cfg, 'api-key')}"] if _text(cfg, "api-key") else []


def _pushover(cfg: Mapping[str, Any]) -> list[str]:
    user, token = _text(cfg, "user-key"), _text(cfg, "application-token")
    return [f"pover://{user}@{token}"] if user and token else []


BUILDERS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "custom": _custom, "email": _email, "slack": _webhook, "discord": _webhook,
    "googlechat": _webhook, "teams": _webhook, "teams-workflows": _webhook,
    "telegram": _telegram, "mattermost": _mattermost, "ntfy": _ntfy, "gotify": _gotify,
    "opsgenie": _opsgenie, "pushover": _pushover,
}  # fmt: skip


def notifier_urls(provider: str, cfg: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """The Apprise URLs of a provider's settings (its ``overrides`` by group included), or
    why there are none."""
    build = BUILDERS.get(provider)
    if build is None:
        return [], f"'{provider}' 알림은 아직 Apprise 주소로 바꿀 수 없어 보내지 않습니다"
    urls = build(cfg)
    for override in cfg.get("overrides") or ():
        if isinstance(override, Mapping):
            urls += build({**cfg, **override})
    if not urls:
        return [], f"'{provider}' 알림 설정에 필요한 값이 빠져 보내지 않습니다"
    rejected = [u for u in urls if not accepted(u)]
    if rejected:
        return [u for u in urls if u not in rejected], (
            f"'{provider}' 알림 주소를 Apprise가 받지 않습니다: {redact_url(rejected[0])}"
        )
    return urls, None


def accepted(url: str) -> bool:
    """Whether Apprise knows how to deliver to ``url`` (parsed, nothing sent)."""
    import apprise

    return bool(apprise.Apprise().add(url))


def redact_url(url: str) -> str:
    """A notification URL to show: its scheme and host, never its tokens or passwords."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"
