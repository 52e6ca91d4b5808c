"""The explorer page (tinycnn/viz/explore.py) in a real headless Chromium, driven by Playwright:
shared by test_explorer.py (small models) and test_example.py (the study's own page)."""

import contextlib
import shutil

from playwright.sync_api import sync_playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As root Chromium needs --no-sandbox; the others keep it from calling Google's servers.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOLERANCE = 1e-5  # the page's numbers against the model's forward pass


@contextlib.contextmanager
def launch():
    """Debian's Chromium, headless, for the block (Playwright's own browsers are never used)."""
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """The explorer in a tab: what it printed to the console, what it asked of the network."""

    def __init__(self, browser, path):
        self.tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.problems, self.requests = [], []
        self.tab.on("console", lambda message: message.type in ("error", "warning")
                    and self.problems.append(f"{message.type}: {message.text}"))
        self.tab.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.tab.route("**/*", self._only_the_file)
        self.tab.goto(path.as_uri())
        self.tab.wait_for_selector("body[data-ready=yes]", timeout=60_000)

    def _only_the_file(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def pick(self, n):
        self.tab.click(f'.thumb[data-image="{n}"]')
        self.tab.wait_for_selector(f'.thumb.picked[data-image="{n}"]')

    def click_unit(self, value, y, x, channel):
        """Click pixel (y, x) of the map of ``channel`` in the section of value ``value``."""
        canvas = self.tab.locator(f'#value-{value} canvas[data-channel="{channel}"]')
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        height, width = (int(canvas.get_attribute(side)) for side in ("height", "width"))
        canvas.click(position={"x": (x + 0.5) * box["width"] / width,
                               "y": (y + 0.5) * box["height"] / height})

    def click_bar(self, value, index):
        bar = self.tab.locator(f'.bar[data-value="{value}"][data-index="{index}"]').first
        bar.scroll_into_view_if_needed()
        bar.click()

    def number(self, name):
        """The number the detail panel shows under data-number=name."""
        return float(self.tab.locator(f'#detail [data-number="{name}"]').inner_text())

    def close(self):
        self.tab.close()
