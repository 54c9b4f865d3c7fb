"""Plain-text tables for people: what `gamboge run`, `gamboge check` and `gamboge query` print.

Python 3.9 compatible: common/ and lake/ are on the Python-shell path.
"""

from typing import Any, Sequence


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], limit: int = 50) -> str:
    shown = [["" if v is None else str(v) for v in row] for row in rows[:limit]]
    widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths)) for r in shown]
    shown_note = f", first {limit} shown" if len(rows) > limit else ""
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{shown_note})")
    return "\n".join(out)


def _numeric(value: str) -> bool:
    return value.replace(".", "", 1).replace("-", "", 1).isdigit()
