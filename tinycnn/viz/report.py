"""``report.html``: every figure, animation and table a run wrote, on one page in the same folder.

The page links to the files by relative name, so the folder can be moved or zipped as a whole.
What each file becomes depends on its extension:

    .png .jpg .svg   a figure (an .svg beside a .png of the same name is only linked)
    .gif             an animation; a same-name .html (a ``to_jshtml`` player) is embedded under it
    .html            a player with no GIF beside it is embedded on its own; a page named in
                     ``pages`` (the explorer: too large to embed) is linked, with its caption
    .csv             a table (the first ``max_table_rows`` rows, with a link to the whole file);
                     numbers right-aligned, whole numbers with thousands separators (2,230,272)
    .txt .md .log    preformatted text; .json pretty-printed
    anything else    a link

A small script on the page counts images that failed to load after the page's ``load`` event and
stores the count in ``<body data-broken-images="...">`` (and their names in
``data-broken-list``), so a headless browser can check the page (tests/test_report_browser.py).
"""

import csv
import datetime
import html
import json
import math
import re
from pathlib import Path
from urllib.parse import quote

from PIL import Image

FIGURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".svg"}
TEXT_SUFFIXES = {".txt", ".md", ".log"}
MAX_TEXT_CHARS = 20_000
# Height of the player's slider, buttons and loop choice below the frame, in CSS pixels.
PLAYER_CONTROLS_HEIGHT = 130

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 0 auto; padding: 1em 2em;
       color: #222; }
h1 { margin-bottom: 0.2em; }
nav ul { columns: 3; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #555; margin-top: 0.3em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
iframe { border: 1px solid #ddd; max-width: 100%; }
.missing { color: #b00; font-weight: bold; }
.note { color: #555; font-size: 0.9em; }
"""

BROKEN_IMAGE_CHECK = """
window.addEventListener("load", function () {
  var broken = [];
  document.querySelectorAll("img").forEach(function (img) {
    if (!img.complete || img.naturalWidth === 0) {
      broken.push(img.getAttribute("src"));
    }
  });
  document.body.dataset.brokenImages = String(broken.length);
  document.body.dataset.brokenList = broken.join(" ");
});
"""


def _text(value) -> str:
    return html.escape(str(value), quote=False)


def _attribute(value) -> str:
    return html.escape(str(value), quote=True)


def _href(name: str) -> str:
    return _attribute(quote(name))


def default_caption(name: str) -> str:
    """"07_confusion_matrix.png" -> "Confusion matrix": no number prefix, no extension."""
    stem = re.sub(r"^\d+[_-]", "", Path(name).stem)
    words = stem.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def _format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_format_value(item) for item in value)
    return str(value)


def _format_seconds(value) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return _format_value(value)
    if value < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(value, 60)
    return f"{value:.1f} s ({int(minutes)} min {seconds:02.0f} s)"


def _key_value_table(rows: dict, format_value) -> str:
    lines = ["<table>", "<tr><th>name</th><th>value</th></tr>"]
    for key, value in rows.items():
        lines.append(f"<tr><td>{_text(key)}</td><td>{_text(format_value(value))}</td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _caption(name: str, caption: str) -> str:
    return f'<figcaption>{_text(caption)} (<a href="{_href(name)}">{_text(name)}</a>)</figcaption>'


def _missing(name: str) -> str:
    return f'<p class="missing">Missing file: {_text(name)}</p>'


def _figure_block(out_dir: Path, name: str, caption: str) -> str:
    # A missing image still gets its <img>, so the browser check reports it.
    note = "" if (out_dir / name).is_file() else _missing(name)
    return (
        f'<figure>\n<img src="{_href(name)}" alt="{_attribute(caption)}">\n'
        f"{_caption(name, caption)}\n</figure>{note}"
    )


def _player_frame(name: str, caption: str, width: int, height: int) -> str:
    return (
        f'<iframe src="{_href(name)}" title="{_attribute(caption)} (player)" '
        f'width="{width}" height="{height}"></iframe>'
    )


def _player_size(out_dir: Path, gif_name: str | None):
    """The player shows frames at the GIF's size; without a GIF assume an 8x5 inch figure."""
    width, height = 800, 500
    if gif_name is not None and (out_dir / gif_name).is_file():
        with Image.open(out_dir / gif_name) as gif:
            width, height = gif.size
    return width + 40, height + PLAYER_CONTROLS_HEIGHT


def _animation_block(out_dir: Path, name: str, caption: str, player: str | None) -> str:
    parts = [_figure_block(out_dir, name, caption)]
    if player is not None:
        width, height = _player_size(out_dir, name)
        parts.append(
            "<details>\n<summary>Step through it frame by frame: "
            f'<a href="{_href(player)}">{_text(player)}</a></summary>\n'
            f"{_player_frame(player, caption, width, height)}\n</details>"
        )
    return "\n".join(parts)


def _player_block(out_dir: Path, name: str, caption: str) -> str:
    if not (out_dir / name).is_file():
        return _missing(name)
    width, height = _player_size(out_dir, None)
    return (
        f"<figure>\n{_player_frame(name, caption, width, height)}\n"
        f"{_caption(name, caption)}\n</figure>"
    )


def _table_cell(text: str) -> str:
    """A CSV cell as <td>: a number right-aligned (a whole one with thousands separators, so
    2230272 reads 2,230,272), anything else (nan and inf too) as it is."""
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        return f"<td>{_text(text)}</td>"
    if re.fullmatch(r"\s*[+-]?\d+\s*", text):
        text = f"{int(text):,}"
    return f'<td class="number">{_text(text)}</td>'


def _table_block(out_dir: Path, name: str, caption: str, max_rows: int) -> str:
    if not (out_dir / name).is_file():
        return _missing(name)
    with open(out_dir / name, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    if not rows:
        return f'<p>{_text(caption)}: <a href="{_href(name)}">{_text(name)}</a> (empty)</p>'
    header, body = rows[0], rows[1:]
    lines = [f"<table>\n<caption>{_text(caption)}</caption>"]
    lines.append("<tr>" + "".join(f"<th>{_text(cell)}</th>" for cell in header) + "</tr>")
    for row in body[:max_rows]:
        lines.append("<tr>" + "".join(_table_cell(cell) for cell in row) + "</tr>")
    lines.append("</table>")
    shown = min(len(body), max_rows)
    lines.append(
        f'<p class="note">{shown} of {len(body)} rows shown; '
        f'the whole table: <a href="{_href(name)}">{_text(name)}</a></p>'
    )
    return "\n".join(lines)


def _text_block(out_dir: Path, name: str, caption: str) -> str:
    path = out_dir / name
    if not path.is_file():
        return _missing(name)
    content = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json":
        try:
            content = json.dumps(json.loads(content), indent=2)
        except json.JSONDecodeError:
            pass
    cut = len(content) > MAX_TEXT_CHARS
    content = content[:MAX_TEXT_CHARS]
    note = f'<p class="note">Cut at {MAX_TEXT_CHARS:,} characters.</p>' if cut else ""
    return (
        f'<h3>{_text(caption)} (<a href="{_href(name)}">{_text(name)}</a>)</h3>\n'
        f"<pre>{_text(content)}</pre>{note}"
    )


def _page_link_block(out_dir: Path, name: str, caption: str) -> str:
    if not (out_dir / name).is_file():
        return _missing(name)
    size = (out_dir / name).stat().st_size / 1e6
    return (f'<p><a href="{_href(name)}"><b>Open {_text(name)}</b></a> ({size:.1f} MB, opens '
            f"from disk in a browser): {_text(caption)}</p>")


def _link_list(names) -> str:
    items = "".join(f'<li><a href="{_href(name)}">{_text(name)}</a></li>\n' for name in names)
    return f"<ul>\n{items}</ul>"


class _Page:
    """Turns file names into HTML blocks, remembering which files have been placed."""

    def __init__(self, out_dir: Path, captions: dict, max_table_rows: int, pages=()):
        self.out_dir = out_dir
        self.captions = captions
        self.pages = set(pages)
        self.max_table_rows = max_table_rows
        self.placed = set()

    def caption(self, name):
        return self.captions.get(name, default_caption(name))

    def block(self, name: str) -> str:
        self.placed.add(name)
        suffix = Path(name).suffix.lower()
        caption = self.caption(name)
        if suffix in FIGURE_SUFFIXES:
            return _figure_block(self.out_dir, name, caption)
        if suffix == ".gif":
            player = str(Path(name).with_suffix(".html"))
            if (self.out_dir / player).is_file():
                self.placed.add(player)
            else:
                player = None
            return _animation_block(self.out_dir, name, caption, player)
        if suffix == ".html" and name in self.pages:
            return _page_link_block(self.out_dir, name, caption)
        if suffix == ".html":
            return _player_block(self.out_dir, name, caption)
        if suffix == ".csv":
            return _table_block(self.out_dir, name, caption, self.max_table_rows)
        if suffix in TEXT_SUFFIXES or suffix == ".json":
            return _text_block(self.out_dir, name, caption)
        if not (self.out_dir / name).is_file():
            return _missing(name)
        return _link_list([name])


def _group_leftovers(names, present):
    """Sort files nobody placed into Figures, Animations, Tables, Text and Other files."""
    groups = {"Figures": [], "Animations": [], "Tables": [], "Text": [], "Other files": []}
    for name in names:
        path = Path(name)
        suffix = path.suffix.lower()
        has_bitmap = any(f"{path.stem}{ext}" in present for ext in (".png", ".jpg", ".jpeg"))
        if suffix in FIGURE_SUFFIXES and not (suffix == ".svg" and has_bitmap):
            groups["Figures"].append(name)
        elif suffix == ".gif":
            groups["Animations"].append(name)
        elif suffix == ".html" and f"{path.stem}.gif" not in present:
            groups["Animations"].append(name)
        elif suffix == ".csv":
            groups["Tables"].append(name)
        elif suffix in TEXT_SUFFIXES or suffix == ".json":
            groups["Text"].append(name)
        elif suffix != ".html":
            groups["Other files"].append(name)
    return groups


def _slug(heading: str, index: int) -> str:
    return f"s{index}-" + re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def build_report(
    out_dir,
    settings=None,
    timings=None,
    sections=None,
    captions=None,
    title="tinycnn run report",
    filename="report.html",
    max_table_rows=20,
    pages=(),
):
    """Write ``out_dir/filename`` showing every file in ``out_dir`` and return its path.

    settings: dict shown as a table (e.g. epochs, batch size, seed); timings: dict of seconds
    (floats) or already-formatted strings. sections: optional list of ``(heading, [file names])``
    shown first, in order; every other file in ``out_dir`` follows, grouped by kind, so nothing is
    left out. A name listed in ``sections`` but absent is flagged on the page (and an absent
    image fails the browser check). captions: optional ``{file name: caption}``; the default
    caption comes from the file name. pages: names of HTML pages to link rather than embed
    (the explorer). Only the top level of ``out_dir`` is scanned.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    captions = dict(captions or {})
    present = sorted(
        path.name for path in out_dir.iterdir() if path.is_file() and path.name != filename
    )
    page = _Page(out_dir, captions, max_table_rows, pages)

    chapters = []
    for heading, names in sections or []:
        chapters.append((heading, [page.block(name) for name in names]))
    leftovers = [name for name in present if name not in page.placed]
    for heading, names in _group_leftovers(leftovers, set(present)).items():
        if not names:
            continue
        if heading == "Other files":
            page.placed.update(names)
            chapters.append((heading, [_link_list(names)]))
        else:
            chapters.append((heading, [page.block(name) for name in names]))

    generated = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    body = [f"<h1>{_text(title)}</h1>", f'<p class="note">Generated {_text(generated)}.</p>']
    contents = []
    if settings:
        contents.append(("Run settings", [_key_value_table(settings, _format_value)]))
    if timings:
        contents.append(("Timings", [_key_value_table(timings, _format_seconds)]))
    contents.extend(chapters)
    slugs = [_slug(heading, index) for index, (heading, _) in enumerate(contents)]
    body.append("<nav>\n<ul>")
    for slug, (heading, _) in zip(slugs, contents, strict=True):
        body.append(f'<li><a href="#{slug}">{_text(heading)}</a></li>')
    body.append("</ul>\n</nav>")
    for slug, (heading, blocks) in zip(slugs, contents, strict=True):
        body.append(f'<section id="{slug}">\n<h2>{_text(heading)}</h2>')
        body.extend(blocks)
        body.append("</section>")

    document = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_text(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            '<body data-broken-images="unchecked">',
            *body,
            f"<script>{BROKEN_IMAGE_CHECK}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
    report_path = out_dir / filename
    report_path.write_text(document, encoding="utf-8")
    return report_path
