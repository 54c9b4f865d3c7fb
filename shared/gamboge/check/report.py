"""What ``gamboge check`` found: findings by severity, counts per star table, the text report and
the exit status."""

from typing import Any, Dict, Iterable, List, NamedTuple

from gamboge.common import schema
from gamboge.common.text import format_table

ERROR = "ERROR"  # fails the check: exit status EXIT_MISMATCH
WARNING = "WARNING"  # reported; fails the check only with --fail-on-warnings
EXIT_MISMATCH = 1
SAMPLE = 5  # keys quoted per finding


class Finding(NamedTuple):
    severity: str
    table: str
    check: str
    detail: str


class Report:
    def __init__(self) -> None:
        self.findings: List[Finding] = []
        self.counts: Dict[str, Dict[str, Any]] = {t.name: {} for t in schema.STAR_TABLES}

    def add(self, severity: str, table: str, check: str, detail: str) -> None:
        self.findings.append(Finding(severity, table, check, detail))

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def as_dict(self) -> Dict[str, Any]:
        return {
            "ok": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "counts": self.counts,
            "findings": [f._asdict() for f in self.findings],
        }


def exit_status(report: Report, fail_on_warnings: bool = False) -> int:
    """EXIT_MISMATCH on any error (or, with ``fail_on_warnings``, any warning), else 0."""
    failed = report.errors or (fail_on_warnings and report.warnings)
    return EXIT_MISMATCH if failed else 0


def sample(keys: Iterable[Any]) -> str:
    """The first SAMPLE keys in text order, and how many more there are."""
    keys = sorted(keys, key=str)
    more = f" (+{len(keys) - SAMPLE} more)" if len(keys) > SAMPLE else ""
    return ", ".join(str(k) for k in keys[:SAMPLE]) + more


def format_report(result: Dict[str, Any], counts: bool = True) -> str:
    """The counts per table (optional), every finding, and the verdict; ``result`` is ``Report.as_dict()``."""

    findings = [Finding(**f) for f in result["findings"]]
    parts = []
    if counts:
        header = ["table", "source", "landed", "rejected", "processed", "loaded", "errors", "warnings"]
        rows = []
        for table in schema.STAR_TABLES:
            c = result["counts"][table.name]
            mine = [f for f in findings if f.table == table.name]
            errors = sum(f.severity == ERROR for f in mine)
            rows.append([table.name, *[c.get(k, "") for k in header[1:6]], errors, len(mine) - errors])
        parts.append(format_table(header, rows, limit=len(rows)).rsplit("\n", 1)[0])
    if findings:
        listing = format_table(["severity", "table", "check", "detail"], [list(f) for f in findings], len(findings))
        parts.append(listing.rsplit("\n", 1)[0])
    verdict = "OK" if result["ok"] else "MISMATCH"
    parts.append(f"check: {verdict} ({result['errors']} error(s), {result['warnings']} warning(s))")
    return "\n\n".join(parts)
