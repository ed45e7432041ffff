"""The README's "graphcl model trained through RecBole's own pipeline" example runs as written."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- recbole-example"

pytestmark = [
    pytest.mark.recbole,
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("recbole") is None, reason="recbole is not installed"),
]


def _example() -> str:
    """The first python block after the marker in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    if MARKER not in text:
        pytest.fail("README.md has no RecBole example marked with " + MARKER)
    return re.search(r"```python\n(.*?)```", text.split(MARKER, 1)[1], re.S).group(1)


def test_readme_recbole_example_runs_as_written(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(_example())
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # RecBole's small eval matmuls crawl on shared, oversubscribed cores
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    last = out.stdout.strip().splitlines()[-1]
    values = dict(re.findall(r"'(\w+@\d+)', np\.float64\(([0-9.]+)\)", last))
    assert set(values) == {"recall@10", "recall@20", "ndcg@10", "ndcg@20"}
    assert float(values["recall@20"]) > 0.1  # two epochs of LightGCN on ml-100k, far above random (~0.01)
