"""gamboge.check.report: the findings, the counts, the text report and the exit status."""

from gamboge.check.report import (
    ERROR,
    EXIT_MISMATCH,
    WARNING,
    Finding,
    Report,
    exit_status,
    format_report,
    sample,
)
from gamboge.common import schema


def report_with(*findings):
    report = Report()
    for finding in findings:
        report.add(*finding)
    return report


def test_a_new_report_has_no_findings_and_an_empty_count_per_star_table():
    report = Report()
    assert report.findings == [] and report.errors == [] and report.warnings == []
    assert list(report.counts) == [t.name for t in schema.STAR_TABLES]
    assert all(counts == {} for counts in report.counts.values())
    assert report.as_dict()["ok"] is True


def test_findings_are_split_by_severity_in_the_order_they_were_added():
    report = report_with(
        (WARNING, "-", "landing orphans", "1 landing file(s)"),
        (ERROR, "fact_payment", "FK orphans", "currency_id → dim_currency: 9"),
        (ERROR, "dim_date", "contiguous", "3 day(s) over a span of 4"),
    )
    assert report.errors == [
        Finding(ERROR, "fact_payment", "FK orphans", "currency_id → dim_currency: 9"),
        Finding(ERROR, "dim_date", "contiguous", "3 day(s) over a span of 4"),
    ]
    assert report.warnings == [Finding(WARNING, "-", "landing orphans", "1 landing file(s)")]
    result = report.as_dict()
    assert (result["ok"], result["errors"], result["warnings"]) == (False, 2, 1)
    assert result["findings"][1] == {
        "severity": ERROR,
        "table": "fact_payment",
        "check": "FK orphans",
        "detail": "currency_id → dim_currency: 9",
    }


def test_errors_fail_the_check_and_warnings_only_when_asked():
    clean = Report()
    warned = report_with((WARNING, "dim_staff", "source = warehouse", "1 row(s) not landed yet"))
    broken = report_with((ERROR, "dim_staff", "source = warehouse", "1 row(s) missing"))
    assert EXIT_MISMATCH == 1
    assert exit_status(clean) == 0 and exit_status(clean, fail_on_warnings=True) == 0
    assert exit_status(warned) == 0
    assert exit_status(warned, fail_on_warnings=True) == EXIT_MISMATCH
    assert exit_status(broken) == EXIT_MISMATCH


def test_a_sample_quotes_five_keys_in_text_order_and_counts_the_rest():
    assert sample([]) == ""
    assert sample([3, 1, 2]) == "1, 2, 3"
    assert sample(range(1, 9)) == "1, 2, 3, 4, 5 (+3 more)"
    assert sample([10, 9]) == "10, 9"  # text order, as keys of any type are sorted


def test_the_text_report_is_the_counts_then_the_findings_then_the_verdict():
    report = report_with(
        (ERROR, "fact_payment", "loaded = processed", "the warehouse holds 3 row(s), the processed zone 4"),
        (WARNING, "fact_payment", "deleted in source", "1 id(s) no longer in ToteSys: 7"),
    )
    report.counts["fact_payment"].update(source=4, landed=5, rejected=1, processed=4, loaded=3)
    text = format_report(report.as_dict())
    counts, findings, verdict = text.split("\n\n")
    lines = counts.splitlines()
    assert lines[0].split() == ["table", "source", "landed", "rejected", "processed", "loaded", "errors", "warnings"]
    assert len(lines) == 2 + len(schema.STAR_TABLES)  # header, rule, one line per table, no "(n rows)"
    assert [line.split() for line in lines if line.startswith("fact_payment")] == [
        ["fact_payment", "4", "5", "1", "4", "3", "1", "1"]
    ]
    assert [line.split() for line in lines if line.startswith("dim_date")] == [["dim_date", "0", "0"]]
    assert findings.splitlines()[0].split() == ["severity", "table", "check", "detail"]
    assert findings.splitlines()[2].startswith("ERROR     fact_payment  loaded = processed  the warehouse holds 3")
    assert len(findings.splitlines()) == 4
    assert verdict == "check: MISMATCH (1 error(s), 1 warning(s))"


def test_a_clean_report_without_counts_is_the_verdict_alone():
    assert format_report(Report().as_dict(), counts=False) == "check: OK (0 error(s), 0 warning(s))"
