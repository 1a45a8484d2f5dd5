"""Debian's headless chromium, driven by selenium, for tests that compare http_smoke with a real browser."""

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
def headless_chromium(loopback_names: tuple[str, ...] = ()) -> Iterator[Any]:
    """A headless chromium that resolves `loopback_names` to 127.0.0.1 and every other name to nothing (so it reaches
    nothing but this machine); the test is skipped only when chromium or its driver is not installed."""
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
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
