#!/usr/bin/env python3
"""Drives Truc's dashboard in a real headless Chromium (Selenium + Debian's chromium-driver): logs in with
the operator token, checks the page (Vietnamese text, queues, dead letters, chart), takes a screenshot,
clicks Requeue on the dead delivery of MESSAGE to RECIPIENT, and checks the page says it moved.

  dashboard_check.py --hub https://127.0.0.1:8443 --token OPERATOR --message ID --recipient CODE --screenshot out.png

Prints one line per check; exits 0 when all pass.
"""
import argparse, sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hub", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--message", required=True)
    p.add_argument("--recipient", required=True)
    p.add_argument("--screenshot", required=True)
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a = p.parse_args()
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1800", "--lang=vi"):
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
        check("dashboard after login", "Dead letters" in body)
        check("Vietnamese text renders", "Tỷ lệ văn bản ký số" in body and "Hàng đợi" in body and "Trục liên thông văn bản" in driver.title + body)
        check("signed-ratio chart drawn", len(driver.find_elements(By.CSS_SELECTOR, "#ratio-chart rect")) > 6)
        check("queue figures shown", driver.find_element(By.CSS_SELECTOR, '#states td[data-state="dead"]').text.strip() != "0")
        rows = driver.find_elements(By.CSS_SELECTOR, f'#dead tr[data-message="{a.message}"][data-recipient="{a.recipient}"]')
        check("the dead delivery is listed", len(rows) == 1)
        driver.save_screenshot(a.screenshot)
        check("screenshot taken", True)
        if rows:
            rows[0].find_element(By.CSS_SELECTOR, "button.requeue").click()
            loaded("notice")
            notice = driver.find_element(By.ID, "notice").text
            check("requeue confirmed: " + notice, notice.startswith("requeued " + a.message))
            driver.implicitly_wait(0)
            gone = driver.find_elements(By.CSS_SELECTOR, f'#dead tr[data-message="{a.message}"][data-recipient="{a.recipient}"]')
            check("no longer dead", gone == [])
        driver.implicitly_wait(15)
        driver.get(a.hub + "/?lookup=" + a.message)
        check("lookup shows the trace", a.recipient in driver.find_element(By.ID, "lookup-result").text)
    finally:
        driver.quit()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
