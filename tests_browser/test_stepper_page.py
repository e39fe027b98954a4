"""The backward stepper's HTML page in a real headless Chromium: the buttons and slider work.

Run with `make test-browser` (it installs chromium, chromium-driver and selenium).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Quiet, offline, throwaway: no first-run pages, no background requests, no sandbox (root in CI).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to download
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The page for tanh(x*w + b), made by the command line as a user would."""
    out = tmp_path_factory.mktemp("page") / "steps.html"
    subprocess.run(
        [sys.executable, "-m", "autograd", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "--steps", str(out)],
        check=True, cwd=ROOT, capture_output=True,
    )
    return out


def highlighted(driver) -> str:
    """The id (graphviz title) of the value highlighted in the visible frame."""
    frames = [f for f in driver.find_elements(By.CSS_SELECTOR, ".frame") if f.is_displayed()]
    assert len(frames) == 1
    node = frames[0].find_element(By.CSS_SELECTOR, "g.node.value.current")
    return node.find_element(By.TAG_NAME, "title").get_attribute("textContent")


def counter(driver) -> str:
    return driver.find_element(By.ID, "counter").text


def test_next_moves_the_highlight_and_previous_brings_it_back(browser, page):
    browser.get(page.as_uri())
    assert counter(browser) == "1 / 3"
    first = highlighted(browser)
    browser.find_element(By.ID, "next").click()
    assert counter(browser) == "2 / 3"
    second = highlighted(browser)
    assert second != first
    assert browser.find_element(By.ID, "caption").text.startswith("Step 2 of 3")
    browser.find_element(By.ID, "prev").click()
    assert highlighted(browser) == first


def test_slider_and_play_reach_the_last_step(browser, page):
    browser.get(page.as_uri())
    slider = browser.find_element(By.ID, "slider")
    browser.execute_script(
        "arguments[0].value = '3'; arguments[0].dispatchEvent(new Event('input'));", slider
    )
    assert counter(browser) == "3 / 3"
    assert not browser.find_element(By.ID, "next").is_enabled()
    browser.find_element(By.ID, "play").click()  # at the end, Play starts over
    assert counter(browser) == "1 / 3"
    WebDriverWait(browser, 10).until(lambda d: counter(d) == "3 / 3")


def test_page_loads_nothing_and_logs_no_errors(browser, page):
    browser.get(page.as_uri())
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert resources == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_frames_are_scaled_to_the_page_width(browser, page):
    """The drawing (wider than the window at its natural size) fits, keeping its proportions."""
    browser.get(page.as_uri())
    width, natural, shown, ratio, drawn_ratio = browser.execute_script(
        """
        const svg = Array.from(document.querySelectorAll('.frame'))
            .find(f => !f.hidden).querySelector('svg');
        const box = svg.getBoundingClientRect();
        const view = svg.viewBox.baseVal;
        return [document.documentElement.clientWidth, svg.width.baseVal.value, box.width,
                view.height / view.width, box.height / box.width];
        """
    )
    assert natural > width  # tanh(x*w + b) left to right is wider than 1400 px
    assert shown <= width
    assert abs(drawn_ratio - ratio) < 0.02 * ratio


def test_controls_stay_in_view_when_a_tall_frame_scrolls(browser, tmp_path):
    """A top-to-bottom frame taller than the window: Next stays reachable, the step is shown."""
    out = tmp_path / "tall.html"
    subprocess.run(
        [sys.executable, "-m", "autograd", "tanh(tanh(tanh(x*w + b) * w) * w) * w",
         "x=2", "w=-0.5", "b=0.3", "--steps", str(out), "--rankdir", "TB"],
        check=True, cwd=ROOT, capture_output=True,
    )
    browser.get(out.as_uri())
    tall = browser.execute_script("return document.body.scrollHeight / innerHeight;")
    assert tall > 1.5  # the frame is much taller than the window
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight);")
    button = browser.find_element(By.ID, "next")
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top;", button)
    assert 0 <= top < 200  # sticky: still at the top of the window
    for _ in range(3):
        button.click()
    node = next(f for f in browser.find_elements(By.CSS_SELECTOR, ".frame") if f.is_displayed())
    current = node.find_element(By.CSS_SELECTOR, "g.node.value.current")
    node_top, node_bottom, controls_bottom, height = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [r.top, r.bottom, document.querySelector('.top').getBoundingClientRect().bottom,"
        " innerHeight];",
        current,
    )
    assert controls_bottom <= node_top and node_bottom <= height  # in view, not under the controls
