"""Screenshots of the evidence, where headless Chromium is installed (Playwright for Python
on the system's Chromium): the fetched HTML rendered with JavaScript off and every request
refused — the picture of what the page was, taken without going back to it. Nothing (None)
where either is missing."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM = os.environ.get("INSA_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


class Shooter:
    """One browser for a batch of screenshots."""

    def __init__(self) -> None:
        self._pw: Any = None
        self._browser: Any = None

    def __enter__(self) -> Shooter:
        if not Path(CHROMIUM).exists():
            return self
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            return self
        try:
            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(
                executable_path=CHROMIUM, args=ARGS, headless=True
            )
        except Exception:  # no browser here: no pictures  # noqa: BLE001
            self.__exit__(None, None, None)
        return self

    def shot(self, html: str) -> bytes | None:
        if self._browser is None or not html:
            return None
        ctx = self._browser.new_context(
            java_script_enabled=False, viewport={"width": 1280, "height": 900}
        )
        try:
            page = ctx.new_page()
            page.route(
                "**/*", lambda route: route.abort()
            )  # nothing fetched: images, scripts, fonts
            page.set_content(html, wait_until="domcontentloaded", timeout=10_000)
            png: bytes = page.screenshot(full_page=False, timeout=10_000)
            return png
        except Exception:  # a page that cannot be drawn: no picture  # noqa: BLE001
            return None
        finally:
            ctx.close()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None
