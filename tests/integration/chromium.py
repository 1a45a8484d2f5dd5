"""Debian's headless chromium, driven by selenium, for tests that compare http_smoke with a real browser and for the
verdict pages' browser tests."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


@contextlib.contextmanager
def headless_chromium(
    loopback_names: tuple[str, ...] = (), window_size: tuple[int, int] | None = None
) -> Iterator[Any]:
    """A headless chromium (of `window_size` pixels, when given) that resolves `loopback_names` to 127.0.0.1 and every
    other name to nothing (so it reaches nothing but this machine); the test is skipped only when chromium or its
    driver is not installed."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Debian chromium and chromium-driver are not installed (`make system-deps` installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Selenium Manager must not look for drivers on the internet: the Debian driver is given.
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    rules = ", ".join([*(f"MAP {name} 127.0.0.1" for name in loopback_names), "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        f"--host-resolver-rules={rules}",
        *([f"--window-size={window_size[0]},{window_size[1]}"] if window_size else []),
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
