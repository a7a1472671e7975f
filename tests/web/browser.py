#!/usr/bin/env python3
"""The whole panel flow clicked through in a real browser, as TAP.

Headless Debian chromium driven by python3-selenium (chromedriver), against
real lighttpd and real Pebble: sign in, add a CA account (the local test
CA), order a certificate for two names with http-01 and "auto" off, press
each "Check and tell the CA" button, reload until the order is ready,
finalize, follow the download link, check the PEM chain.  A screenshot of
every page goes to tests/out/screenshots/browser-NN-name.png.
Environment from tests/lib/pebble.sh and tests/lib/web.sh.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException,
                                        TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["PANEL_URL"]
PASSWORD = os.environ["PANEL_ADMIN_PASSWORD"]
WORK = os.environ["PANEL_WORK"]
ROOT = os.environ.get("ACME_ROOT", os.getcwd())
SHOTS = os.path.join(ROOT, "tests", "out", "screenshots")
NAMES = ["browser.example.test", "www.browser.example.test"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
DOWNLOADS = os.path.join(WORK, "downloads")

n = 0
failed = 0
shot_no = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:25]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line)
    sys.stdout.flush()


def shot(drv, name):
    global shot_no
    shot_no += 1
    path = os.path.join(SHOTS, "browser-%02d-%s.png" % (shot_no, name))
    try:
        drv.save_screenshot(path)
    except WebDriverException as e:
        diag("screenshot %s failed: %s" % (name, e))


# An element read while the page navigates away goes stale: for these
# helpers that is the same as not there yet.
GONE = (NoSuchElementException, StaleElementReferenceException)


def text_of(drv):
    try:
        return drv.find_element(By.TAG_NAME, "body").text
    except GONE:
        return ""


def h1(drv):
    try:
        return drv.find_element(By.TAG_NAME, "h1").text
    except GONE:
        return ""


def wait(drv, secs=20):
    return WebDriverWait(drv, secs, poll_frequency=0.2,
                         ignored_exceptions=GONE)


def badge(drv, scope=None):
    """Text of the first status badge (span.status) on the page."""
    try:
        el = (scope or drv).find_element(By.CSS_SELECTOR, "span.status")
        return el.text.strip()
    except GONE:
        return ""


def order_badge(drv):
    """The order's own status: the badge in the facts list."""
    try:
        return drv.find_element(
            By.CSS_SELECTOR, "dl.facts span.status").text.strip()
    except GONE:
        return ""


def gone(el):
    """A wait condition: el has left the document.  Chromium 156 may say
    so as "Node with given id does not belong to the document" rather
    than as a stale element, which EC.staleness_of does not catch."""
    def check(_):
        try:
            el.is_enabled()
            return False
        except GONE:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
    return check


def submit_and_wait(drv, button, secs=60):
    """Clicks button and waits until the next page has replaced this one."""
    page = drv.find_element(By.TAG_NAME, "html")
    button.click()
    try:
        wait(drv, secs).until(gone(page))
        wait(drv, secs).until(
            EC.presence_of_element_located((By.TAG_NAME, "h1")))
    except TimeoutException:
        pass


def make_driver(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--no-first-run", "--no-default-browser-check",
              "--disable-extensions", "--window-size=1280,1100",
              "--user-data-dir=" + profile):
        opts.add_argument(a)
    # Keep the browser off any proxy: every request goes to 127.0.0.1.
    opts.add_argument("--no-proxy-server")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option("prefs", {
        "download.default_directory": DOWNLOADS,
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    svc = Service(executable_path=CHROMEDRIVER,
                  log_path=os.path.join(WORK, "chromedriver.log"))
    drv = webdriver.Chrome(service=svc, options=opts)
    drv.set_page_load_timeout(90)
    return drv


def sign_in(drv):
    drv.get(URL + "/acme")
    ok("/acme/login" in drv.current_url and h1(drv) == "Sign in",
       "the dashboard sends a stranger to the sign-in page",
       (drv.current_url, h1(drv)))
    shot(drv, "sign-in")
    drv.find_element(By.NAME, "user").send_keys("admin")
    drv.find_element(By.NAME, "password").send_keys("wrong password")
    submit_and_wait(drv, drv.find_element(By.CSS_SELECTOR,
                                          "form button[type=submit]"))
    ok("Wrong user name or password" in text_of(drv),
       "a wrong password shows the message", text_of(drv)[:500])
    shot(drv, "sign-in-wrong")
    # That 401 is the console's only expected error: drop it (reading the
    # log empties it).
    try:
        drv.get_log("browser")
    except WebDriverException:
        pass
    f = drv.find_element(By.NAME, "password")
    f.clear()
    f.send_keys(PASSWORD)
    u = drv.find_element(By.NAME, "user")
    u.clear()
    u.send_keys("admin")
    drv.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    try:
        wait(drv).until(lambda d: h1(d) == "Dashboard")
    except TimeoutException:
        pass
    ok(h1(drv) == "Dashboard" and drv.current_url.rstrip("/").endswith(
        "/acme"), "signed in: the dashboard", (drv.current_url, h1(drv),
                                              text_of(drv)[:500]))
    ok("admin" in drv.find_element(By.CSS_SELECTOR, "header.top").text,
       "the header names the user")
    cookies = {c["name"]: c for c in drv.get_cookies()}
    s = cookies.get("acme_session", {})
    ok(s.get("httpOnly") is True and s.get("sameSite") == "Strict",
       "the browser holds the session cookie as HttpOnly, SameSite=Strict",
       s)
    shot(drv, "dashboard")


def add_account(drv):
    drv.find_element(By.LINK_TEXT, "Add a CA account").click()
    wait(drv).until(lambda d: h1(d) == "Add a CA account")
    ok(h1(drv) == "Add a CA account", "the account form", h1(drv))
    radio = drv.find_element(
        By.CSS_SELECTOR, "input[type=radio][name=acme_server]"
        "[value=local-test-ca]")
    radio.click()
    ok(radio.is_selected(), "local test CA chosen")
    drv.find_element(By.NAME, "email").send_keys("browser@example.com")
    tos = drv.find_element(By.NAME, "tos_agreed")
    if not tos.is_selected():
        tos.click()
    ok(tos.is_selected(), "terms of service ticked")
    shot(drv, "account-form")
    submit_and_wait(drv, drv.find_element(By.CSS_SELECTOR,
                                          "form.form button[type=submit]"))
    try:
        wait(drv, 60).until(lambda d: re.search(r"/acme/accounts/\d+$",
                                                d.current_url))
    except TimeoutException:
        pass
    m = re.search(r"/acme/accounts/(\d+)$", drv.current_url)
    ok(m is not None and h1(drv).startswith("CA account"),
       "registered with the CA: the account page", (drv.current_url,
                                                    text_of(drv)[:800]))
    ok(badge(drv) == "valid", "the account's status badge says valid",
       badge(drv))
    shot(drv, "account")
    return int(m.group(1)) if m else 0


def new_order(drv, aid):
    drv.get(URL + "/acme")
    drv.find_element(By.LINK_TEXT, "New certificate").click()
    wait(drv).until(lambda d: h1(d) == "New certificate")
    ok(h1(drv) == "New certificate", "the order form", h1(drv))
    sel = Select(drv.find_element(By.NAME, "account_id"))
    try:
        sel.select_by_value(str(aid))
    except NoSuchElementException:
        pass
    ok(sel.first_selected_option.get_attribute("value") == str(aid),
       "the new account is chosen", [o.text for o in sel.options])
    dom = drv.find_element(By.NAME, "domains")
    dom.clear()
    dom.send_keys("\n".join(NAMES))
    Select(drv.find_element(By.NAME, "challenge_type")).select_by_value(
        "http-01")
    auto = drv.find_element(By.NAME, "auto")
    if auto.is_selected():
        auto.click()
    ok(not auto.is_selected(), "'auto' unticked: every step is ours")
    shot(drv, "order-form")
    submit_and_wait(drv, drv.find_element(By.CSS_SELECTOR,
                                          "form.form button[type=submit]"))
    try:
        wait(drv, 60).until(lambda d: re.search(r"/acme/orders/\d+$",
                                                d.current_url))
    except TimeoutException:
        pass
    m = re.search(r"/acme/orders/(\d+)$", drv.current_url)
    ok(m is not None and h1(drv).startswith("Order"),
       "order placed: the order page", (drv.current_url,
                                        text_of(drv)[:800]))
    ok(order_badge(drv) == "pending", "its status badge says pending",
       order_badge(drv))
    body = text_of(drv)
    ok(all(x in body for x in NAMES), "it lists both names", body[:600])
    shot(drv, "order-pending")
    return int(m.group(1)) if m else 0


def respond(drv, oid):
    drv.find_element(By.LINK_TEXT, "Show what to deploy").click()
    wait(drv).until(lambda d: d.current_url.endswith("/challenges"))
    ok(h1(drv).startswith("Validate order"), "the challenges page",
       h1(drv))
    body = text_of(drv)
    ok("/.well-known/acme-challenge/" in body and
       all(x in body for x in NAMES),
       "it shows what to deploy for both names", body[:600])
    shot(drv, "challenges")
    xp = "//button[normalize-space()='Check and tell the CA']"
    # Each button once: its form's action names the challenge.
    actions = [b.find_element(By.XPATH, "./ancestor::form").get_attribute(
        "action") for b in drv.find_elements(By.XPATH, xp)]
    ok(len(actions) == 2, "one 'Check and tell the CA' button per name",
       actions)
    clicked = 0
    problems = []
    for act in actions:
        path = re.sub(r"^https?://[^/]+", "", act)
        try:
            btn = drv.find_element(
                By.XPATH, "//form[@action='%s']//button" % path)
        except NoSuchElementException:
            diag("no button for %s any more" % path)
            continue
        submit_and_wait(drv, btn)
        clicked += 1
        problems = [p.text for p in drv.find_elements(By.CSS_SELECTOR,
                                                      "p.problem")]
        if problems:
            diag("after pressing %s: %s" % (path, " | ".join(problems)))
            shot(drv, "challenges-problem")
    ok(clicked == 2 and not problems,
       "pressed each 'Check and tell the CA' button; no problem shown",
       (clicked, problems))
    shot(drv, "challenges-responded")
    again = [b.find_element(By.XPATH, "./ancestor::form").get_attribute(
        "action") for b in drv.find_elements(By.XPATH, xp)]
    ok(not (set(again) & set(actions)),
       "a challenge already told to the CA offers no second button",
       again)


def wait_ready(drv, oid):
    end = time.time() + 60
    st = ""
    while time.time() < end:
        drv.get(URL + "/acme/orders/%d" % oid)
        st = order_badge(drv)
        if st in ("ready", "invalid", "valid"):
            break
        time.sleep(0.5)
    ok(st == "ready", "after reloading, the order's badge says ready",
       (st, text_of(drv)[:800]))
    shot(drv, "order-ready")
    return st == "ready"


def finalize(drv, oid):
    try:
        btn = drv.find_element(
            By.XPATH, "//button[starts-with(normalize-space(),'Finalize')]")
    except NoSuchElementException:
        ok(False, "a Finalize button", text_of(drv)[:800])
        return None
    ok(True, "a Finalize button")
    submit_and_wait(drv, btn)
    end = time.time() + 60
    link = None
    while time.time() < end:
        try:
            link = drv.find_element(By.PARTIAL_LINK_TEXT,
                                    "Download certificate chain")
            break
        except GONE:
            time.sleep(0.5)
            drv.get(URL + "/acme/orders/%d" % oid)
    ok(order_badge(drv) == "valid", "finalized: the badge says valid",
       (order_badge(drv), text_of(drv)[:800]))
    ok(link is not None, "the 'Download certificate chain' link is shown")
    shot(drv, "order-valid")
    return link


def download(drv, link, oid):
    href = link.get_attribute("href")
    ok(href is not None and href.endswith("/acme/orders/%d/certificate" %
                                          oid), "the link's target", href)
    # Fetch it the way the browser would, with the browser's cookie.
    cookie = "; ".join("%s=%s" % (c["name"], c["value"])
                       for c in drv.get_cookies())
    req = urllib.request.Request(href, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            st, ctype, pem = r.status, r.headers.get("Content-Type", ""), \
                r.read()
    except urllib.error.HTTPError as e:
        st, ctype, pem = e.code, e.headers.get("Content-Type", ""), e.read()
    ok(st == 200 and ctype.startswith("application/pem-certificate-chain"),
       "download: 200 application/pem-certificate-chain", (st, ctype))
    blocks = re.findall(rb"-----BEGIN ([A-Z ]+)-----", pem)
    ok(len(blocks) >= 2 and set(blocks) == {b"CERTIFICATE"},
       "the download is a PEM chain of certificates only", blocks)
    path = os.path.join(WORK, "browser-chain.pem")
    with open(path, "wb") as f:
        f.write(pem)
    r = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-ext",
                        "subjectAltName"], capture_output=True, text=True)
    ok(r.returncode == 0 and all("DNS:" + x in r.stdout for x in NAMES),
       "the leaf certificate names both names", r.stdout + r.stderr)
    # And the link itself, clicked: chromium saves the chain.
    link.click()
    got, data, end = None, b"", time.time() + 20
    while time.time() < end and got is None:
        # Chromium writes NAME.crdownload or a dot file, then renames.
        for f in os.listdir(DOWNLOADS):
            if f.startswith(".") or f.endswith((".crdownload", ".tmp")):
                continue
            try:
                with open(os.path.join(DOWNLOADS, f), "rb") as fh:
                    data = fh.read()
                got = f
            except OSError:
                pass
        time.sleep(0.2)
    ok(got is not None and data == pem,
       "clicking the link saves the same chain in the browser's downloads",
       (got, os.listdir(DOWNLOADS), len(data), len(pem)))
    shot(drv, "download-clicked")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    for f in os.listdir(SHOTS):
        if f.startswith("browser-") and f.endswith(".png"):
            os.unlink(os.path.join(SHOTS, f))
    profile = tempfile.mkdtemp(prefix="chromium.", dir=WORK)
    os.makedirs(DOWNLOADS, exist_ok=True)
    drv = None
    try:
        try:
            drv = make_driver(profile)
        except WebDriverException as e:
            print("Bail out! chromium/chromedriver did not start: %s" %
                  str(e).splitlines()[0])
            return 1
        ok(True, "headless chromium started")
        sign_in(drv)
        aid = add_account(drv)
        oid = new_order(drv, aid) if aid else 0
        if oid:
            respond(drv, oid)
            if wait_ready(drv, oid):
                link = finalize(drv, oid)
                if link is not None:
                    download(drv, link, oid)
        # The console must be free of CSP violations and script errors.
        try:
            logs = drv.get_log("browser")
        except WebDriverException:
            logs = []
        severe = [x for x in logs if x.get("level") == "SEVERE" and
                  "favicon" not in x.get("message", "")]
        ok(not severe, "no severe errors in the browser console", severe)
    except Exception:  # a broken page: report, then stop cleanly
        ok(False, "the flow ran to its end", traceback.format_exc())
        if drv is not None:
            shot(drv, "error")
    finally:
        if drv is not None:
            try:
                drv.quit()
            except WebDriverException:
                pass
        shutil.rmtree(profile, ignore_errors=True)
    print("1..%d" % n)
    diag("screenshots in %s" % SHOTS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
