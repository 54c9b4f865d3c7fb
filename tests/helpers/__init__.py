"""What the tests share: the repo's location, pipeline workspaces, Glue launches, landing builders."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
