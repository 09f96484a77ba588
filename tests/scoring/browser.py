"""Open a scoring run in the MLflow UI with headless Debian Chromium (Playwright); screenshots.

Used by test_browser.py, and by hand to refresh docs/img/:
``.venv/bin/python -m tests.scoring.browser STORE RUN_ID EXPERIMENT_ID OUT_DIR``.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def mlflow_server(store: Path, log: Path, timeout_s: float = 180) -> Iterator[str]:
    """`mlflow server` on a free loopback port over `store`; yields its base URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{store / 'mlflow.db'}",
        "--default-artifact-root", (store / "artifacts").as_uri(),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        start = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2)
                break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() - start > timeout_s:
                    tail = log.read_text()[-2000:]
                    raise RuntimeError(f"mlflow server did not start: {tail}") from exc
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def review_run(url: str, exp_id: str, run_id: str, top_account: str, out: Path) -> dict:
    """Open the run's artifacts, show flags.json as a table and a SHAP waterfall; screenshots.

    Returns:
        what was visible: ``flags_table`` (the top account's row), ``reason`` (a reason
        column), ``waterfall`` (a PNG rendered as an image) and the screenshot paths.
    """
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    seen: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/#/experiments/{exp_id}/runs/{run_id}/artifacts")
            page.get_by_text("flags.json").first.click()
            page.get_by_text(top_account).first.wait_for()
            with contextlib.suppress(Exception):  # the assistant side panel hides columns
                page.locator("button[aria-label*='lose']").last.click(timeout=3000)
            seen["flags_table"] = page.get_by_text(top_account).first.is_visible()
            seen["reason"] = page.get_by_text("reason_1_text").first.is_visible()
            page.screenshot(path=out / "mlflow-flags-table.png")
            page.get_by_text("shap_waterfalls").first.click()
            page.get_by_text("rank0001_").first.click()
            img = page.locator("img[src^='blob:']").first
            img.wait_for(state="visible")
            seen["waterfall"] = img.is_visible() and img.evaluate("i => i.naturalWidth") > 100
            page.screenshot(path=out / "mlflow-shap-waterfall.png")
            seen["screenshots"] = sorted(str(s) for s in out.glob("mlflow-*.png"))
        finally:
            browser.close()
    return seen


def main(argv: list[str]) -> None:
    """``STORE RUN_ID EXPERIMENT_ID OUT_DIR``: screenshots of that run's review."""
    import json

    import mlflow

    store, run_id, exp_id, out = Path(argv[0]).resolve(), argv[1], argv[2], Path(argv[3])
    mlflow.set_tracking_uri(f"sqlite:///{store / 'mlflow.db'}")
    flags = json.loads(
        Path(mlflow.MlflowClient().download_artifacts(run_id, "flags.json")).read_text()
    )
    top = str(flags["data"][0][flags["columns"].index("account_id")])
    with mlflow_server(store, out / "mlflow-server.log") as url:
        print(review_run(url, exp_id, run_id, top, out))


if __name__ == "__main__":
    main(sys.argv[1:])
