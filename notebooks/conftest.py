"""nbval settings for every notebook: warnings and progress bars (stderr) are never compared."""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
