"""placespend benchmarks: Camden-size spend and London-wide geometry, stage by stage.

Run with ``make bench`` (``python -m benchmarks.run``); results go to ``benchmarks/RESULTS.md``
and ``benchmarks/results.json``. Generated inputs are cached in ``benchmarks/.cache/``.
"""
