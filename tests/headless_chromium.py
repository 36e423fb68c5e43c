"""A headless Chromium driven over the Chrome DevTools Protocol, for tests that look at a page
in a real browser: open it, evaluate JavaScript in it, take a full-page screenshot.

Uses the browser installed on the machine (Debian's ``chromium``, or ``$DOPASPIKE_CHROMIUM``)
and the ``websocket-client`` package; nothing is downloaded.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--remote-debugging-port=0")


def find_chromium() -> str | None:
    """Path of a Chromium executable: ``$DOPASPIKE_CHROMIUM`` or the first of :data:`NAMES` on PATH."""
    explicit = os.environ.get("DOPASPIKE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((p for p in map(shutil.which, NAMES) if p), None)


class Chromium:
    """A headless Chromium with one page, as a context manager.

    ``events`` collects every protocol event received (e.g. ``Network.requestWillBeSent``
    once ``Network.enable`` has been called).
    """

    def __init__(self, executable: str, workdir: Path, *, width: int = 1200, height: int = 900, timeout_s: float = 60.0):
        self.executable, self.workdir = executable, Path(workdir)
        self.width, self.height, self.timeout_s = width, height, timeout_s
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._proc: subprocess.Popen | None = None
        self._ws = None

    def __enter__(self) -> Chromium:
        import websocket  # websocket-client

        profile = self.workdir / "chromium-profile"
        profile.mkdir(parents=True)
        self._log = self.workdir / "chromium.log"
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen([self.executable, *FLAGS, f"--user-data-dir={profile}",
                                           f"--window-size={self.width},{self.height}", "about:blank"],
                                          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            port = self._wait_for_port(profile / "DevToolsActivePort")
            page = self._wait_for_page(port)
            self._ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=self.timeout_s,
                                                   suppress_origin=True, http_no_proxy=["127.0.0.1"])
            self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height, deviceScaleFactor=1,
                      mobile=False)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    # --- protocol --------------------------------------------------------------------------

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events received meanwhile go to ``events``)."""
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method} failed: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(f"{method}: no answer from Chromium within {self.timeout_s:g} s")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"JavaScript error: {res['exceptionDetails']}")
        return res["result"].get("value")

    # --- pages -----------------------------------------------------------------------------

    def open(self, url: str) -> None:
        """Navigate to ``url`` and wait until the page and all its images have loaded."""
        self.call("Page.enable")
        self.call("Network.enable")
        nav = self.call("Page.navigate", url=url)
        if nav.get("errorText"):
            raise RuntimeError(f"cannot open {url}: {nav['errorText']}")
        deadline = time.monotonic() + self.timeout_s
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading within {self.timeout_s:g} s")
            time.sleep(0.05)
        self.evaluate("Promise.all(Array.from(document.images, i => i.decode().catch(() => null))).then(() => true)")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (not only the viewport), written to ``path``."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": self.width, "height": max(self.height, size["height"]), "scale": 1}
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
        path = Path(path)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    # --- start-up --------------------------------------------------------------------------

    def _alive_or_raise(self) -> None:
        if self._proc.poll() is not None:
            tail = self._log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Chromium exited with code {self._proc.returncode}:\n{tail}")

    def _wait_for_port(self, port_file: Path) -> int:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            self._alive_or_raise()
            lines = port_file.read_text().split() if port_file.is_file() else []
            if lines and lines[0].isdigit():
                return int(lines[0])
            time.sleep(0.05)
        raise TimeoutError(f"Chromium did not open its DevTools port within {self.timeout_s:g} s")

    def _wait_for_page(self, port: int) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            self._alive_or_raise()
            direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
            with direct.open(f"http://127.0.0.1:{port}/json/list", timeout=self.timeout_s) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page" and "webSocketDebuggerUrl" in t]
            if pages:
                return pages[0]
            time.sleep(0.05)
        raise TimeoutError(f"Chromium opened no page within {self.timeout_s:g} s")
