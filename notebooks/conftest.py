"""nbval settings for every notebook.

- warnings and progress bars (stderr) are never compared;
- a marker may carry its reason on the same line, `# NBVAL_IGNORE_OUTPUT: timings vary`
  (nbval itself only recognises the bare marker, so the reason is cut off before it looks).
"""
import re

import nbval.plugin

_find_comment_markers = nbval.plugin.find_comment_markers


def find_comment_markers_with_reasons(cellsource):
    return _find_comment_markers(re.sub(r"^(\s*#\s*NBVAL_[A-Z_]+)\s*:.*$", r"\1", cellsource, flags=re.M))


nbval.plugin.find_comment_markers = find_comment_markers_with_reasons


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
