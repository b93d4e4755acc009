"""One exception type for every mistake a learner can fix.

A `CourseError` carries a message that says what went wrong and what to do.
In a notebook, `helpers.core.config.setup_notebook()` shows it as one short line
instead of a traceback wall.
"""


class CourseError(RuntimeError):
    """A problem with a clear fix: bad input, missing package, no network, ..."""
