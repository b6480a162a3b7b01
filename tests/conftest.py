"""Fixtures shared by the test modules; shared helpers and paths live in helpers.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import CHROMEDRIVER, CHROMIUM, SECOND_DATASET

import evidencekg


@pytest.fixture(scope="session")
def bundled_kg() -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(evidencekg.bundled_data_dir())


@pytest.fixture(scope="session")
def second_kg() -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(SECOND_DATASET)


def _browser_or_fail() -> Any:
    """Selenium's Chrome driver on Debian's Chromium; a failure under CI, a skip elsewhere."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        from selenium import webdriver
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
        webdriver = None
    if missing:
        message = f"the browser test needs {', '.join(missing)}: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return webdriver


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium that reaches nothing but what a test serves on 127.0.0.1."""
    webdriver = _browser_or_fail()
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                     "--disable-default-apps", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
                     "--window-size=1280,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
