"""Notifications through Apprise — the one path every package alerts through (the failure
detection's incidents, the cyber centre's new cases): a message to a list of Apprise URLs,
and the waits before a failed delivery is tried again. Who is told what, and the record
that each is told once, stay with the package."""

from __future__ import annotations

from collections.abc import Iterable

RETRY_WAITS = (1, 2, 5, 15, 60, 300)  # seconds before the 2nd, 3rd … attempt; then given up


def send(urls: Iterable[str], title: str, body: str, failing: bool = True) -> str | None:
    """Through Apprise; None when every URL took it, else why not (Korean)."""
    import apprise

    a = apprise.Apprise()
    added = [a.add(url) for url in urls]
    if not any(added):
        return "알림 주소가 올바르지 않습니다"
    kind = apprise.NotifyType.FAILURE if failing else apprise.NotifyType.SUCCESS
    ok = a.notify(body=body, title=title, notify_type=kind)
    return None if ok else "알림 서비스가 받지 않았습니다"


def valid(url: str) -> bool:
    """Whether Apprise knows what to do with ``url``."""
    import apprise

    return bool(apprise.Apprise().add(url))
