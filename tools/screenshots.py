"""Screenshots of the demo's key pages for the README, on a desktop and on a phone.

Run it against a site serving the demo co-op (`make run`, which loads it), with the virtualenv's
Playwright and Debian's chromium:

    .venv/bin/python tools/screenshots.py                     # http://127.0.0.1:8000/
    .venv/bin/python tools/screenshots.py --base-url http://127.0.0.1:8713 --out docs/screens

Each page is photographed at 1280×800 and at a 390×844 phone, as PNG reduced to a 256-colour
palette so each stays small (the README links them; keep each under 150 KB). The investor's
dashboard is photographed logged in as a demo investor.
"""

import argparse
import io
import re
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
DEMO_INVESTOR = ("alice@example.org", "investor-demo-2026")  # printed by `manage.py load_demo`
OFFER_LINK = re.compile(r"Solar roofs for Calder schools")
LIMIT = 150 * 1024
SCREENS_FOLDER = Path(__file__).resolve().parent.parent / "docs" / "screens"


def home(page: Page) -> None:
    page.goto("/")


def offer(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name=OFFER_LINK).first.click()
    page.wait_for_load_state()


def dashboard(page: Page) -> None:
    email, password = DEMO_INVESTOR
    page.goto("/account/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account/$"))


PAGES: dict[str, Callable[[Page], None]] = {"home": home, "offer": offer, "dashboard": dashboard}


def small_png(data: bytes) -> bytes:
    """The screenshot as a 256-colour PNG: text and flat colours lose nothing a reader sees."""
    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def take(base_url: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for screen, options in SCREENS.items():
            for name, go in PAGES.items():
                context = browser.new_context(base_url=base_url, **options)
                page = context.new_page()
                go(page)
                path = out / f"{name}-{screen}.png"
                path.write_bytes(small_png(page.screenshot()))
                written.append(path)
                context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=SCREENS_FOLDER)
    args = parser.parse_args(argv)
    too_big = []
    for path in take(args.base_url, args.out):
        size = path.stat().st_size
        print(f"{path} ({size // 1024} KB)")
        if size > LIMIT:
            too_big.append(path)
    if too_big:
        print(f"Over {LIMIT // 1024} KB: {', '.join(str(path) for path in too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
