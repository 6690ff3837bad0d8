"""Screenshots of Patron's main screens, for review and for the README.

    PATRON_URL=http://127.0.0.1:8000 PATRON_EMAIL=admin@example.com PATRON_PASSWORD=... \
        .venv/bin/python scripts/screenshots.py OUTDIR

Uses Debian's chromium through Playwright (never a downloaded browser). Takes every page
at desktop and phone widths in English and Arabic (PATRON_SCREENS=a,b: only those).
"""

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {
    "login": "/login/",
    "dashboard": "/",
    "customers": "/customers/",
    "customer": None,  # the first customer of the list
    "customer-edit": None,
    "organization": None,  # the first organization of the list
    "import": "/customers/import/",
    "duplicates": "/customers/duplicates/",
    "merge": None,  # the first pair of the duplicates page
    "search": "/search/?q=a",
    "admin-users": "/manage/users/",
    "admin-custom-fields": "/manage/custom-fields/",
    "tokens": "/account/tokens/",
    "profile": "/account/",
    "history": None,
    "tasks": "/tasks/?view=open&assignee=anyone",
    "timeline": "/timeline/",
    "notifications": "/notifications/",
    "orders": "/orders/",
    "order": None,  # the first order of the list
    "products": "/products/",
    "admin-questions": "/manage/questions/",
    "rich-customer": None,  # the customer of the first order: a long history
    "customer-value": None,  # the figures and reasons of the rich customer
    "my-day": "/my-day/",
    "signals": "/signals/",
    "value": "/value/",
    "at-risk": "/value/at-risk/",
    "segments": "/segments/",
    "admin-value": "/manage/value/",
    "service": "/service/",
    "service-kpis": "/service/kpis/",
    "admin-service": "/manage/service/",
    "surveys": "/feedback/",
    "survey-results": "/feedback/results/",
    "ideas": "/feedback/ideas/",
}
SIZES = {"desktop": (1366, 860), "phone": (390, 844)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def csrf_token(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "patron_csrftoken")


def main(out: Path) -> None:
    base = os.environ.get("PATRON_URL", "http://127.0.0.1:8000")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for language in ("en", "ar"):
            for size, (width, height) in SIZES.items():
                context = browser.new_context(
                    base_url=base, viewport={"width": width, "height": height}, locale=language
                )
                page = context.new_page()
                page.goto("/login/")
                page.screenshot(path=str(out / f"login-{language}-{size}.png"), full_page=True)
                page.fill("input[name=email]", os.environ["PATRON_EMAIL"])
                page.fill("input[name=password]", os.environ["PATRON_PASSWORD"])
                page.click("main form button[type=submit]")
                page.wait_for_load_state("networkidle")
                page.goto("/customers/")
                first = page.locator("#customer-results tbody a").first.get_attribute("href")
                urls = dict(PAGES, login=None, customer=first, history=None)
                urls["customer-edit"] = f"{first}edit/"
                page.goto("/customers/?kind=organization")
                urls["organization"] = page.locator(
                    "#customer-results tbody a"
                ).first.get_attribute("href")
                page.goto("/customers/duplicates/")
                pairs = page.locator("a[href*='/merge/']")
                urls["merge"] = pairs.first.get_attribute("href") if pairs.count() else None
                urls["history"] = f"/audit/customers.customer/{first.strip('/').split('/')[-1]}/"
                page.goto("/orders/")
                orders = page.locator("[data-testid=order-list] tbody tr")
                if orders.count():
                    urls["order"] = orders.first.locator("a").first.get_attribute("href")
                    urls["rich-customer"] = orders.first.locator("a").nth(1).get_attribute("href")
                    urls["customer-value"] = f"{urls['rich-customer']}value/"
                # The language follows the user's profile once signed in.
                page.request.post(
                    "/language/",
                    form={"language": language, "next": "/"},
                    headers={"X-CSRFToken": csrf_token(context), "Referer": base + "/"},
                )
                only = set(filter(None, os.environ.get("PATRON_SCREENS", "").split(",")))
                for name, url in urls.items():
                    if url is None or (only and name not in only):
                        continue
                    page.goto(url)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(out / f"{name}-{language}-{size}.png"), full_page=True)
                context.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts/screens"))
