#!/usr/bin/env python3
"""Drives Truc's dashboard in a real headless Chromium (Selenium + Debian's chromium-driver) as an operator would:
logs in with the operator token; at 1920, 1280 and 390 pixels wide checks that no card is clipped or wider than
the window and takes a screenshot of each; goes from the national view to one agency's refused documents in two
clicks; exports a table as CSV; clicks Requeue on the dead delivery of MESSAGE to RECIPIENT and checks that it
moved; looks the message up.

  dashboard_check.py --hub https://127.0.0.1:8443 --token OPERATOR --message ID --recipient CODE \
      --refused-sender CODE --screenshots DIR

Prints one line per check; exits 0 when all pass.
"""
import argparse, os, sys, urllib.request, ssl
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Every card (section) whose content reaches past its right edge, or a page wider than the window.
OVERFLOW_JS = """
const problems = [];
const vw = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth > vw + 1) problems.push('page ' + document.documentElement.scrollWidth + ' > ' + vw);
for (const s of document.querySelectorAll('main section')) {
  const box = s.getBoundingClientRect();
  if (box.right > vw + 1) problems.push((s.id || 'section') + ' ends at ' + Math.round(box.right) + ' > ' + vw);
  if (s.scrollWidth > s.clientWidth + 1) problems.push((s.id || 'section') + ' scrolls ' + s.scrollWidth + ' > ' + s.clientWidth);
  for (const e of s.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > box.right + 1) { problems.push((s.id || 'section') + ': <' + e.tagName.toLowerCase() + '> ends at ' + Math.round(r.right) + ' > ' + Math.round(box.right)); break; }
  }
}
return problems;
"""


# Rows of the grid whose cards stop short of the right edge (a column left empty while cards are squeezed).
GAPS_JS = """
const main = document.querySelector('main');
const style = getComputedStyle(main);
const right = main.getBoundingClientRect().right - parseFloat(style.paddingRight);
const rows = {};
for (const s of document.querySelectorAll('main > section')) {
  const b = s.getBoundingClientRect();
  const top = Math.round(b.top);
  rows[top] = Math.max(rows[top] || 0, b.right);
}
return Object.entries(rows).filter(([top, r]) => r < right - 30).map(([top, r]) => 'row at ' + top + ' ends at ' + Math.round(r) + ' of ' + Math.round(right));
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hub", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--message", required=True)
    p.add_argument("--recipient", required=True)
    p.add_argument("--refused-sender", required=True)
    p.add_argument("--screenshots", required=True)
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a = p.parse_args()
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1920,1080", "--lang=vi", "--hide-scrollbars"):
        options.add_argument(flag)
    options.accept_insecure_certs = True  # the demo PKI's root is not in Chromium's store
    driver = webdriver.Chrome(service=Service(a.chromedriver), options=options)
    driver.implicitly_wait(15)  # a loaded CI machine: every lookup waits for the page
    failures = 0

    def loaded(element_id):
        """After a click that navigates: wait for the next page's element."""
        WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, element_id)))

    def check(name, ok):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + name)
        failures += 0 if ok else 1

    def viewport(width, height):
        # The window's inner width is what a layout sees: size the window so the viewport is exactly `width`.
        driver.set_window_size(width, height)
        inner = driver.execute_script("return window.innerWidth")
        driver.set_window_size(width + (width - inner), height)

    try:
        driver.get(a.hub + "/")
        check("login page first", driver.find_elements(By.ID, "login") != [])
        driver.find_element(By.NAME, "token").send_keys("wrong")
        driver.find_element(By.ID, "login").click()
        loaded("login-error")
        check("a wrong token is refused", "wrong operator token" in driver.find_element(By.ID, "login-error").text)
        driver.find_element(By.NAME, "token").send_keys(a.token)
        driver.find_element(By.ID, "login").click()
        loaded("dead")
        body = driver.find_element(By.TAG_NAME, "body").text
        check("dashboard after login", "Dead letters" in body and "Thư chết" in body)
        check("Vietnamese text renders", "Tỷ lệ văn bản ký số" in body and "Hàng đợi" in body and "Trục liên thông văn bản" in driver.title + body)
        check("signed-ratio chart drawn with counts", len(driver.find_elements(By.CSS_SELECTOR, "#ratio-chart rect[fill^='url(']")) >= 2
              and len(driver.find_elements(By.CSS_SELECTOR, "#ratio-chart text.onbar")) >= 1)
        check("charts have axes with scales", len(driver.find_elements(By.CSS_SELECTOR, "#daily-chart text.tick")) >= 4
              and len(driver.find_elements(By.CSS_SELECTOR, "#minute-chart text.tick")) >= 4)
        check("figures carry their time", "as of" in driver.find_element(By.ID, "ratio-card").text)
        dead_cell = driver.find_element(By.XPATH, "//table[@id='states']//span[@data-state='dead']/ancestor::tr/td[2]")
        check("queue figures shown", dead_cell.text.strip() not in ("", "0"))

        for width, height in ((1920, 1080), (1280, 800), (390, 844)):
            viewport(width, height)
            driver.get(a.hub + "/")
            loaded("dead")
            problems = driver.execute_script(OVERFLOW_JS)
            check(f"{width} px: every card whole " + ("; ".join(problems[:5]) if problems else ""), problems == [])
            gaps = driver.execute_script(GAPS_JS)
            check(f"{width} px: no grid column left empty " + "; ".join(gaps[:5]), gaps == [])
            if width == 390:
                columns = {round(s.rect["x"]) for s in driver.find_elements(By.CSS_SELECTOR, "main section")}
                check(f"390 px: one column ({columns})", len(columns) == 1)
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": driver.execute_script("return document.documentElement.scrollHeight"),
                "deviceScaleFactor": 1, "mobile": width < 500})
            path = os.path.join(a.screenshots, f"dashboard-{width}.png")
            driver.save_screenshot(path)
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            check(f"{width} px: screenshot {path}", os.path.getsize(path) > 20_000)
        viewport(1280, 800)

        # From the national view to one agency's refused documents: two clicks.
        driver.get(a.hub + "/")
        loaded("refusals-senders")
        driver.find_element(By.CSS_SELECTOR, f'#refusals-by-agency a[href="/agencies/{a.refused_sender}"]').click()
        loaded("agency-refusals")
        rows = driver.find_elements(By.CSS_SELECTOR, "#agency-refusals tbody tr")
        text = driver.find_element(By.ID, "agency-refusals-card").text
        check(f"one click: {a.refused_sender}'s refused documents with their reasons ({len(rows)} rows)", len(rows) >= 1 and "invalid-signature" in text)
        problems = driver.execute_script(OVERFLOW_JS)
        check("agency page: every card whole " + "; ".join(problems[:5]), problems == [])
        check("agency page: volume chart with axes", len(driver.find_elements(By.CSS_SELECTOR, "#agency-volume-chart text.tick")) >= 4)
        driver.save_screenshot(os.path.join(a.screenshots, "agency-1280.png"))
        viewport(390, 844)
        driver.refresh()
        loaded("agency-refusals")
        problems = driver.execute_script(OVERFLOW_JS)
        check("agency page at 390 px: every card whole " + "; ".join(problems[:5]), problems == [])
        viewport(1280, 800)

        # Search and the tree.
        driver.find_element(By.CSS_SELECTOR, "header input[name=q]").send_keys("nghe an")
        driver.find_element(By.CSS_SELECTOR, "header form[role=search] button").click()
        loaded("agencies")
        listed = driver.find_element(By.ID, "agencies").text
        check("search without accents finds Nghệ An", "000.00.00.H41" in listed and "000.00.12.H41" in listed)
        driver.get(a.hub + "/agencies")
        loaded("agencies")
        driver.find_element(By.CSS_SELECTOR, 'a[href="/agencies?parent=000.00.00.H41"]').click()
        loaded("agencies")
        check("the tree: below H41", "000.00.12.H41" in driver.find_element(By.ID, "agencies").text)

        # A table as CSV, with the session's cookie.
        driver.get(a.hub + "/")
        loaded("dead")
        link = driver.find_element(By.CSS_SELECTOR, "#ratio-card a.csv").get_attribute("href")
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(urllib.request.Request(link, headers={"Cookie": cookie}), context=context) as answer:
            csv = answer.read().decode("utf-8-sig")
        check("ratio exported as CSV", csv.startswith("key,name,documents,both") and "000.00.00.G22" in csv)

        rows = driver.find_elements(By.XPATH, f'//table[@id="dead"]//a[@data-message="{a.message}"][@data-recipient="{a.recipient}"]/ancestor::tr')
        check("the dead delivery is listed", len(rows) == 1)
        if rows:
            rows[0].find_element(By.CSS_SELECTOR, "button.requeue").click()
            loaded("notice")
            notice = driver.find_element(By.ID, "notice").text
            check("requeue confirmed: " + notice, notice.startswith("requeued " + a.message))
            driver.implicitly_wait(0)
            gone = driver.find_elements(By.XPATH, f'//table[@id="dead"]//a[@data-message="{a.message}"][@data-recipient="{a.recipient}"]')
            check("no longer dead", gone == [])
        driver.implicitly_wait(15)
        driver.get(a.hub + "/?lookup=" + a.message)
        check("lookup shows the trace", a.recipient in driver.find_element(By.ID, "lookup-result").text)
    finally:
        driver.quit()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
