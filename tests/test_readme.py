"""The addon's README.rst and Apps page are generated from readme/*.md and must be current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_is_generated_from_fragments():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools/gen_readme.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
