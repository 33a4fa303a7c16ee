#!/usr/bin/python3
"""The web UI in a real browser: headless Chromium driven by Selenium (Debian chromium,
chromium-driver, python3-selenium) against a real `strata serve` holding known data.

usage: browser_test.py --strata BUILD/strata --artifacts DIR
Exits non-zero on the first failed check; never skips (a missing browser is a failure).
Screenshots and the measured timings go to DIR."""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

RULES = """groups:
- name: web-test
  interval: 1s
  rules:
  - record: job:test_gauge:sum
    expr: sum(test_gauge)
  - alert: TestGaugeHigh
    expr: test_gauge > 25
    labels: {severity: page}
    annotations: {summary: "gauge {{ $labels.instance }} is high"}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read()


def otlp_gauges(base, name, series, times_ms, value, first=0):
    """POST OTLP/HTTP JSON: one gauge, `series` instances, a point at each time."""
    points = []
    for i in range(series):
        for t in times_ms:
            points.append({"asDouble": value(i, t), "timeUnixNano": str(t * 1000000),
                           "attributes": [{"key": "instance", "value": {"stringValue": f"i{first + i:03d}"}}]})
    body = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": name, "gauge": {"dataPoints": points}}]}]}]}
    status, reply = http(base + "/v1/metrics", json.dumps(body).encode(),
                         {"Content-Type": "application/json"})
    if status != 200 or b"rejected" in reply:
        raise SystemExit(f"loading {name} failed: {status} {reply[:300]!r}")


class Check:
    def __init__(self):
        self.n = 0

    def __call__(self, cond, what):
        self.n += 1
        if not cond:
            raise AssertionError(what)
        print(f"ok {self.n} - {what}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--artifacts", required=True)
    args = ap.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: run tools/install-deps.sh (chromium, chromium-driver)")

    tmp = tempfile.mkdtemp(prefix="strata-web-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(os.path.join(tmp, "rules.yml"), "w") as f:
        f.write(RULES)
    log = open(os.path.join(args.artifacts, "strata.log"), "w")
    server = subprocess.Popen([args.strata, "serve", "--listen", f"127.0.0.1:{port}",
                               "--data-dir", os.path.join(tmp, "data"),
                               "--rules.file", os.path.join(tmp, "rules.yml")],
                              stdout=log, stderr=subprocess.STDOUT)
    driver = None
    check = Check()
    try:
        deadline = time.time() + 30
        while True:
            try:
                if http(base + "/-/ready")[0] == 200:
                    break
            except Exception:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("strata did not become ready")
            time.sleep(0.1)

        # Known data: test_gauge{instance=i000..i002} = 10, 20, 30 over the last hour (15 s), and
        # perf_gauge: 100 series over the last 3 h for the 100 x 11,000-point graph.
        # One request each, oldest data first: the compactor may move what is older than the
        # head keeps once newer samples arrive, and later old samples would be out of bounds.
        now = int(time.time()) * 1000
        three_h = [now - 11_000_000 + k * 15_000 for k in range(11_000_000 // 15_000 + 1)]
        otlp_gauges(base, "perf_gauge", 100, three_h,
                    lambda i, t: float(i * 100 + (t // 15_000) % 50))
        hour = [now - 3600_000 + k * 15_000 for k in range(241)]
        otlp_gauges(base, "test_gauge", 3, hour, lambda i, t: 10.0 * (i + 1))
        time.sleep(2.5)  # Two rule evaluations.

        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--window-size=1400,1000"):
            opts.add_argument(a)
        opts.binary_location = shutil.which("chromium")
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
        # The page re-renders lists (autocomplete, tables) while a check reads them: read
        # texts in one script call, and retry a check that met a replaced element.
        stale = (StaleElementReferenceException,)
        wait = WebDriverWait(driver, 30, ignored_exceptions=stale)

        def texts(css):
            return driver.execute_script(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText)", css)

        def console_errors():
            # The bad query's 400 is logged by Chrome as a failed resource load: expected.
            return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and not (
                e.get("source") == "network" and "query=sum%28" in e["message"])]

        # 1. A link with g0.expr opens that query, graphed: one legend line per series.
        t0 = time.time()
        driver.get(base + "/graph?g0.expr=" + urllib.parse.quote("test_gauge") +
                   "&g0.tab=0&g0.range_input=1h")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".legend div")) > 0)
        nav = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd};")
        legend = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".legend div")]
        check(len(legend) == 3, f"graph of test_gauge has 3 series: {legend}")
        check(any('instance="i001"' in t for t in legend), "legend shows the labels")
        check(driver.find_elements(By.CSS_SELECTOR, ".graph canvas"), "dygraphs drew a canvas")
        stats = driver.find_element(By.CSS_SELECTOR, ".stats").text
        check("Samples read:" in stats and "Resolution: 14s" in stats,
              f"stats line shows samples and the auto step (3600/250 = 14 s): {stats}")
        check("g0.expr=test_gauge" in driver.current_url, "the URL holds the query")
        # Hover: move over the plot; the hover box shows time, value and labels.
        canvas = driver.find_elements(By.CSS_SELECTOR, ".graph canvas")[-1]
        webdriver.ActionChains(driver).move_to_element_with_offset(canvas, 100, 0).perform()
        try:
            WebDriverWait(driver, 5, ignored_exceptions=stale).until(
                lambda d: d.find_element(By.CSS_SELECTOR, ".hover").is_displayed())
            hover = driver.find_element(By.CSS_SELECTOR, ".hover").text
            check("value:" in hover and "test_gauge" in hover and "UTC" in hover,
                  f"hover shows time, value and labels: {hover!r}")
        except TimeoutException:
            check(False, "hover box appears over the graph")
        driver.save_screenshot(os.path.join(args.artifacts, "graph.png"))

        # 2. Table view: the instant values.
        driver.find_element(By.CSS_SELECTOR, ".tab-table").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".result-table tbody tr"))
        rows = [r.replace("\t", " ").strip() for r in texts(".result-table tbody tr")]
        check(len(rows) == 3, f"table has 3 rows: {rows}")
        check(all(r.endswith(v) for r, v in zip(sorted(rows), ("10", "20", "30"))),
              f"table values are 10, 20, 30: {rows}")
        check("g0.tab=1" in driver.current_url, "the URL holds the tab")

        # 3. Typing a query (with autocomplete) and running it with Enter.
        ta = driver.find_element(By.CSS_SELECTOR, "textarea.expr-input")
        ta.clear()
        ta.send_keys("test_ga")
        wait.until(lambda d: any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, ".autocomplete")))
        items = texts(".autocomplete div")
        check(any(i.startswith("test_gauge") for i in items), f"autocomplete offers test_gauge: {items}")
        ta.send_keys(Keys.TAB)
        check(ta.get_attribute("value") == "test_gauge", "Tab accepts the completion")
        ta.send_keys("{inst")
        wait.until(lambda d: any("instance" in t for t in texts(".autocomplete div")))
        ta.send_keys(Keys.TAB, '="')
        wait.until(lambda d: any("i002" in t for t in texts(".autocomplete div")))
        check(True, "autocomplete offers label names and values")
        ta.send_keys(Keys.ESCAPE)
        ta.send_keys(Keys.CONTROL, "a")
        ta.send_keys("sum(test_gauge)", Keys.ENTER)
        wait.until(lambda d: (lambda rows: len(rows) == 1 and rows[0].rstrip().endswith("60"))(
            texts(".result-table tbody tr")))
        check(True, "sum(test_gauge) typed and run shows one row of 60")

        # 4. A bad query shows Prometheus' error.
        ta.send_keys(Keys.CONTROL, "a")
        ta.send_keys("sum(", Keys.ENTER)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".messages .error"))
        err = driver.find_element(By.CSS_SELECTOR, ".messages .error").text
        check(err.startswith("Error executing query:") and "parse error" in err,
              f"bad query shows the parse error: {err!r}")

        # 5. Several panels from the URL; the range/instant switch per panel.
        driver.get(base + "/graph?g0.expr=test_gauge&g0.tab=1&g1.expr=" +
                   urllib.parse.quote("job:test_gauge:sum") + "&g1.tab=0&g1.range_input=5m")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".panel")) == 2 and
                   d.find_elements(By.CSS_SELECTOR, ".panel:nth-child(2) .legend div"))
        check(len(driver.find_elements(By.CSS_SELECTOR, ".panel:nth-child(1) .result-table tbody tr")) == 3,
              "panel g0 is a table of 3 rows")
        check(len(driver.find_elements(By.CSS_SELECTOR, ".panel:nth-child(2) .legend div")) == 1,
              "panel g1 graphs the recording rule's one series")

        # 6. Status pages.
        for page, marker in (("tsdb-status", "Top 10 metric names by series"),
                             ("flags", "--storage.retention"), ("status", "Build information"),
                             ("storage", "Warm tier"), ("rules", "record: job:test_gauge:sum"),
                             ("alerts", "TestGaugeHigh")):
            driver.get(f"{base}/{page}")
            wait.until(lambda d, m=marker: m in d.find_element(By.ID, "main").text)
            check(True, f"/{page} shows {marker!r}")
            if page == "tsdb-status":
                text = driver.find_element(By.ID, "main").text
                check("perf_gauge" in text and "test_gauge" in text, "cardinality lists both metrics")
                driver.save_screenshot(os.path.join(args.artifacts, "tsdb-status.png"))
            if page == "alerts":
                check("firing" in driver.find_element(By.ID, "main").text, "the alert fires (30 > 25)")
        driver.get(base + "/")
        check(urllib.parse.urlparse(driver.current_url).path == "/graph", "/ redirects to /graph")

        # 7. 100 series x 11,000 points, graphed.
        end = now
        driver.get(base + "/graph?g0.expr=perf_gauge&g0.tab=0&g0.range_input=" +
                   urllib.parse.quote("3h3m20s") + "&g0.step_input=1&g0.end_input=" +
                   urllib.parse.quote(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(end / 1000))))
        started = time.time()
        WebDriverWait(driver, 120).until(lambda d: d.execute_script(
            "return window.strataLastQuery && window.strataLastQuery.series === 100"))
        wall = time.time() - started
        perf = driver.execute_script("return window.strataLastQuery")
        points = driver.execute_script(
            "return document.querySelectorAll('.legend div').length")
        check(points == 100, "the big graph has 100 legend lines")
        # The tab stays responsive: a script runs right after the render.
        t1 = time.time()
        driver.execute_script("return 1")
        responsive = time.time() - t1
        driver.save_screenshot(os.path.join(args.artifacts, "graph-100x11000.png"))
        errors = console_errors()
        check(not errors, f"no errors in the browser console: {errors}")
        result = {"page_dom_content_loaded_ms": nav["dom"], "page_load_ms": nav["load"],
                  "big_graph_series": 100, "big_graph_points_per_series": 11001,
                  "big_graph_fetch_ms": perf["fetchMs"], "big_graph_render_ms": perf["renderMs"],
                  "big_graph_wall_s": wall, "script_after_render_s": responsive}
        with open(os.path.join(args.artifacts, "timings.json"), "w") as f:
            json.dump(result, f, indent=1)
        print("timings " + json.dumps(result), flush=True)
        print(f"1..{check.n}")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
