"""The README cannot drift from the code: its diagram, its settings and its commands."""

import re
import subprocess
import sys

import helpers
from gamboge.cli import main as cli
from gamboge.cli.schema import README_BEGIN, README_END, mermaid_diagram
from gamboge.common import workflow

README = (helpers.REPO / "README.md").read_text()


def test_the_two_commands_come_first():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_star_schema_diagram_is_generated_from_the_schema():
    block = README.split(README_BEGIN)[1].split(README_END)[0].strip()
    assert block == mermaid_diagram()


def test_every_job_argument_is_documented():
    for job in workflow.JOBS + workflow.ONE_OFF_JOBS:
        for name in job.arguments:
            assert f"`--{name}`" in README, f"{job.key} argument --{name} is missing from the README"


def test_every_gamboge_command_in_the_readme_exists_and_has_help():
    commands = {name for name, _, _ in cli.COMMANDS}
    used = set(re.findall(r"^gamboge ([a-z]+)", README, flags=re.M)) | set(re.findall(r"`gamboge ([a-z]+)", README))
    assert used <= commands, used - commands
    for name in sorted(used):
        result = subprocess.run([sys.executable, "-m", "gamboge.cli", name, "--help"], capture_output=True, text=True)
        assert result.returncode == 0 and "usage: gamboge" in result.stdout, name


def test_every_command_help_describes_the_command_not_the_module_internals():
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    for name, _, summary in cli.COMMANDS:
        description = commands.choices[name].description
        assert description.rstrip(".").lower() == summary.lower(), name
        assert "\n" not in description, name  # one sentence, not the module's design notes
