"""A griffe extension: tinycnn's plain-text docstrings as Markdown that keeps their layout.

tinycnn's docstrings are written for a reader of the source: formulas on lines of their own,
aligned columns, indented examples. Read as Markdown, those lines would run together into one
paragraph, and ``H_out*W_out*F`` would turn half italic. So before mkdocstrings renders a
docstring, this turns it into Markdown that shows what the source shows:

- a paragraph whose lines are laid out by hand (a line that starts with spaces, or spaces
  lined up inside a line) keeps its layout: its indented lines, or the whole paragraph when
  columns are aligned, become a code block;
- ``>>>`` examples become Python console blocks; a ``::`` before an indented block makes it
  a Python block;
- lines that start with "- " are a list; everything else is prose, with ``*``, ``<`` and ``_``
  shown as written outside backticks.

The docstrings themselves stay plain text: this file changes only how the site shows them.
"""

import re

from griffe import Extension

ALIGNED = re.compile(r"\S {3,}\S")  # columns lined up by hand: "Forward:   z = ..."
LIST_ITEM = re.compile(r"(?:[-*] |\d+\. )")


def markdown_of(text):
    """The Markdown for one plain-text docstring (already dedented)."""
    paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
    out = []
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        if lines[0].lstrip().startswith(">>>"):
            out.append(fenced(dedent(lines), "pycon"))
        elif all(line.startswith(" ") for line in lines):
            out.append(fenced(dedent(lines), "python" if ends_with_literal(out) else "text"))
        elif any(ALIGNED.search(line.rstrip()) for line in lines if not line.startswith(" ")):
            out.append(fenced(lines, "text"))
        else:
            out.extend(groups(lines))
    text = "\n\n".join(part for part in out if part)
    return text.replace("::\n\n```", ":\n\n```")


def groups(lines):
    """Prose runs and indented runs of one paragraph, in order, as Markdown blocks."""
    blocks, prose, indented = [], [], []
    for line in lines:
        if line.startswith(" ") and not (prose and LIST_ITEM.match(prose[-1]) and
                                         indent(line) <= 4 and not indented):
            indented.append(line)
            continue
        if line.startswith(" "):  # the continuation of a list item
            prose[-1] += " " + line.strip()
            continue
        if indented:
            blocks += prose_and_code(prose, indented)
            prose, indented = [], []
        prose.append(line)
    blocks += prose_and_code(prose, indented)
    return [block for block in blocks if block]


def prose_and_code(prose, indented):
    """Prose lines, then the indented lines after them as a code block (Python after "::")."""
    language = "python" if prose and prose[-1].endswith("::") else "text"
    return [prose_block(prose), fenced(dedent(indented), language) if indented else ""]


def prose_block(lines):
    """Prose lines as Markdown: list items on lines of their own, special characters shown."""
    rendered = []
    for line in lines:
        if LIST_ITEM.match(line) and rendered and not LIST_ITEM.match(rendered[-1]):
            rendered.append("")  # Markdown starts a list only after a blank line
        rendered.append(line)
    return escaped("\n".join(rendered))


def escaped(text):
    """``*``, ``<``, ``_`` and backslashes outside backticks (code spans may run over a line
    break), shown as written rather than read as Markdown; a list's "* " stays a marker."""
    parts = re.split(r"(``.+?``|`[^`]+`)", text, flags=re.S)
    for i in range(0, len(parts), 2):
        part = parts[i].replace("\\", "\\\\").replace("<", "&lt;").replace("_", r"\_")
        parts[i] = re.sub(r"(?m)(?<!^)\*|^\*(?! )", r"\\*", part)
    return "".join(parts)


def fenced(lines, language):
    return "\n".join([f"```{language}", *lines, "```"])


def indent(line):
    return len(line) - len(line.lstrip(" "))


def dedent(lines):
    margin = min(indent(line) for line in lines if line.strip())
    return [line[margin:] for line in lines]


def ends_with_literal(blocks):
    return bool(blocks) and blocks[-1].rstrip().endswith("::")


class PlainDocstrings(Extension):
    """Turns every docstring griffe loads into Markdown (``markdown_of``)."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None and not getattr(obj.docstring, "_tinycnn_markdown", False):
            obj.docstring.value = markdown_of(obj.docstring.value)
            obj.docstring._tinycnn_markdown = True
