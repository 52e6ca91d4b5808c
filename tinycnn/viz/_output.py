"""Saving helpers shared by the viz modules: figures to PNG, animations to GIF and HTML.

Every plotting function builds its figure with pyplot (so a notebook shows it), then hands it to
``finish_figure``: with a path the figure is written and closed, so a script that draws fifty
figures does not keep fifty in memory.
"""

import html
import re
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.figure import Figure

PNG_DPI = 100

# matplotlib's to_jshtml player draws its buttons with Font Awesome icons fetched from a CDN, so
# offline (or in a sandboxed browser) the buttons come out blank. We drop the CDN link and label
# the buttons with characters every font has (each button keeps its tooltip).
_FONT_AWESOME_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>", re.IGNORECASE)
_ICON = re.compile(r'<i class="fa ([a-z -]+)"></i>')
_PLAY, _BACK = "&#x25B6;", "&#x25C0;"
_ICON_TEXT = {
    "fa-minus": "&minus;",
    "fa-fast-backward": f"|{_BACK}{_BACK}",
    "fa-step-backward": f"{_BACK}|",
    "fa-play fa-flip-horizontal": _BACK,
    "fa-pause": "||",
    "fa-play": _PLAY,
    "fa-step-forward": f"|{_PLAY}",
    "fa-fast-forward": f"{_PLAY}{_PLAY}|",
    "fa-plus": "+",
}


def finish_figure(fig: Figure, path=None) -> Figure:
    """Save ``fig`` as ``path`` (parent folders made) and close it; with no path, leave it open.

    Returns the figure either way (a closed figure can still be saved again with savefig).
    """
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=PNG_DPI, bbox_inches="tight")
        plt.close(fig)
    return fig


def _offline_player(fragment: str) -> str:
    fragment = _FONT_AWESOME_LINK.sub("", fragment)
    fragment = fragment.replace('<script language="javascript">', "<script>")
    return _ICON.sub(lambda match: _ICON_TEXT.get(match.group(1), "?"), fragment)


def save_animation(
    anim: FuncAnimation, fig: Figure, gif_path=None, html_path=None, fps=2.0, title="Animation"
):
    """Write ``anim`` as a GIF (PillowWriter) and/or a standalone HTML player (``to_jshtml``).

    ``fig`` is the figure the animation draws on; it is closed afterwards.
    Returns ``{"gif": Path, "html": Path}`` with the files actually written.
    """
    if gif_path is None and html_path is None:
        raise ValueError("give gif_path and/or html_path")
    written = {}
    if gif_path is not None:
        gif_path = Path(gif_path)
        gif_path.parent.mkdir(parents=True, exist_ok=True)
        anim.save(gif_path, writer=PillowWriter(fps=fps))
        written["gif"] = gif_path
    if html_path is not None:
        html_path = Path(html_path)
        html_path.parent.mkdir(parents=True, exist_ok=True)
        player = _offline_player(anim.to_jshtml(fps=fps, default_mode="loop"))
        page = (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
            f"{player}\n</body>\n</html>\n"
        )
        html_path.write_text(page, encoding="utf-8")
        written["html"] = html_path
    plt.close(fig)
    return written
