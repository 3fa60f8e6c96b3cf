"""Everything scorekeeper prints: CSV, JSON, tables, messages and progress.

This is the only module that imports Rich, and it does so only when a table or
a progress display is drawn, so that CSV output and hook calls start fast.
Text from the data is never read as markup, and control characters are shown
escaped in tables so that a user name cannot move the cursor or recolour the
terminal.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Callable

from scorekeeper.ranking import COLUMNS, POINT_COLUMNS, Standing
from scorekeeper.values import format_points

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_LABELS = {
    "rank": "Rank", "user_id": "User id", "username": "Username", "total_score": "Total",
    "post_likes_score": "Post likes", "review_votes_score": "Review votes",
    "comment_likes_score": "Comment likes", "content_creation_score": "Content",
    "monthly_increase": "Monthly",
}


def _cells(row: Standing) -> list[str]:
    return [format_points(v) if name in POINT_COLUMNS else str(v)
            for name, v in zip(COLUMNS, row)]


def excel_safe(text: str) -> str:
    """Neutralise a text cell that a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(rows: Iterable[Standing], out: IO[str], *, excel: bool = False) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        cells = _cells(row)
        if excel:
            cells[2] = excel_safe(cells[2])
        if "\r" in cells[2]:
            out.write(_quoting_cr(cells))
        else:
            writer.writerow(cells)


def _quoting_cr(cells: list[str]) -> str:
    """One CSV line whose cells may hold a lone CR.

    The csv module quotes only the characters of its own line terminator, so with
    ``\\n`` a CR went out bare and a reader took it for the end of the row.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()[:-2] + "\n"


def write_json(rows: Iterable[Standing], out: IO[str]) -> None:
    """An array of objects, written as the rows come; points with their exact digits."""
    separator = "[\n"
    for row in rows:
        fields = []
        for name, value in zip(COLUMNS, row):
            if name in POINT_COLUMNS:
                text = format_points(value)
            elif name == "username":
                text = json.dumps(value, ensure_ascii=False)
            else:
                text = str(value)
            fields.append(f'"{name}": {text}')
        out.write(separator + "  {" + ", ".join(fields) + "}")
        separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def printable(text: str) -> str:
    """Text with control and bidi-override characters shown as escapes."""
    if text.isprintable() and not any(unicodedata.category(c) == "Cf" for c in text):
        return text
    return "".join(
        c if c.isprintable() and unicodedata.category(c) != "Cf" else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def write_plain_table(rows: Sequence[Standing], out: IO[str]) -> None:
    """A table for pipes: aligned columns, no colour, nothing cut or wrapped."""
    from rich.cells import cell_len  # terminal cells: 李 and 🚀 take two, accents none

    table = [[_LABELS[c] for c in COLUMNS]]
    table += [[printable(cell) for cell in _cells(row)] for row in rows]
    widths = [max(cell_len(line[i]) for line in table) for i in range(len(COLUMNS))]
    for line in table:
        cells = []
        for i, (cell, width) in enumerate(zip(line, widths)):
            pad = " " * (width - cell_len(cell))
            cells.append(cell + pad if i == 2 else pad + cell)
        out.write("  ".join(cells).rstrip() + "\n")


def print_rich_table(rows: Sequence[Standing], title: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), title_justify="left")
    for name in COLUMNS:
        justify = "left" if name == "username" else "right"
        table.add_column(_LABELS[name], justify=justify, no_wrap=name != "username",
                         overflow="fold")
    for row in rows:
        table.add_row(*[Text(printable(cell)) for cell in _cells(row)])
    _print_whole(table)


def _print_whole(table) -> None:
    """Print a table without dropping or cutting columns on a narrow terminal:
    wider than the screen, it wraps there rather than losing data."""
    from rich.console import Console

    from rich.measure import Measurement

    console = Console(soft_wrap=False)
    needed = Measurement.get(console, console.options.update_width(1 << 16), table).maximum
    if needed > console.width:
        # Rich honours a width only with a height (a dumb terminal is else always 80).
        console = Console(soft_wrap=False, width=needed, height=console.height)
    console.print(table)


def write_rows(rows: Iterable[Standing], fmt: str, title: str, *, excel: bool = False) -> None:
    """CSV and JSON stream the rows as they come; a table needs them all for its widths."""
    out = sys.stdout
    if fmt == "csv":
        write_csv(rows, out, excel=excel)
    elif fmt == "json":
        write_json(rows, out)
    elif out.isatty():
        print_rich_table(list(rows), title)
    else:
        write_plain_table(list(rows), out)


def write_breakdown(row: Standing, title: str) -> None:
    """One user as a two-column table (component, points), for a terminal or a pipe."""
    lines = [(_LABELS[name], printable(cell)) for name, cell in zip(COLUMNS, _cells(row))]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # The title holds a user name: Text keeps `[/]` from being read as markup.
        table = Table(title=Text(printable(title)), title_justify="left", show_header=False)
        table.add_column(justify="left")
        table.add_column(justify="right", no_wrap=True)
        for label, value in lines:
            table.add_row(label, Text(value))
        _print_whole(table)
        return
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        sys.stdout.write(f"{label.ljust(width)}  {value}\n")


def say(message: str) -> None:
    """A line for the person at the terminal (stderr)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def error(message: str) -> None:
    say(f"Error: {message}")


def warning(message: str) -> None:
    say(f"Warning: {message}")


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal's stderr; nothing at all in a pipe or under cron."""
    if not sys.stderr.isatty():
        yield lambda _done: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  "[progress.percentage]{task.percentage:>3.0f}%", TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.update(task, completed=done)


@contextmanager
def status(description: str, *, quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner with the current step on a terminal's stderr; silent elsewhere,
    and silent when ``quiet`` (``--quiet`` prints only errors)."""
    if quiet or not sys.stderr.isatty():
        yield lambda _step: None
        return
    from rich.console import Console

    with Console(stderr=True).status(description) as spinner:
        yield lambda step: spinner.update(f"{description}: {step}")
