"""Reproduce paper tables: table specs, a resumable multi-seed runner, reports and plots.

* :mod:`graphcl.reproduce.spec` reads ``experiments/tables/<name>.yaml`` into a
  :class:`~graphcl.reproduce.spec.TableSpec` and expands it into runs (cell x protocol x seed).
* :mod:`graphcl.reproduce.tasks` maps a cell's task name to that task's Python entry point.
* :mod:`graphcl.reproduce.runner` runs the pending runs (in parallel processes when asked),
  one JSON per run, skipping finished runs and redoing killed ones.
* :mod:`graphcl.reproduce.report` aggregates runs (mean ± std over seeds, Δ% against the
  published number) into ``<TABLE>.md``; :mod:`graphcl.reproduce.plots` draws the PNGs.
"""
