# The two commands of the README, and their parts.
#   make demo   set up .venv if needed, then phantoms -> train -> test -> AP + pictures
#   make test   set up .venv if needed, then lint, then the test suite
#   make lint   ruff (ruff.toml: pycodestyle, pyflakes)
# The environment: SPINEMM_VENV (as the README says) or VENV, else ./.venv.
VENV ?= $(or $(SPINEMM_VENV),$(CURDIR)/.venv)
PY := $(VENV)/bin/python
export SPINEMM_VENV := $(VENV)

QS_CONFIG ?= configs/quickstart/cascade-mask-rcnn_r18_fpn_phantom.py
QS_WORK ?= work_dirs/quickstart
PHANTOMS ?= data/phantom2d
PYTEST_ARGS ?=

.PHONY: env demo test lint phantoms

env:
	@bash tools/misc/setup_env.sh

phantoms: env
	$(PY) tools/misc/make_phantoms.py $(PHANTOMS)

demo: phantoms
	PYTHON=$(PY) bash tools/misc/quickstart.sh $(QS_CONFIG) $(QS_WORK)

lint: env
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest tests $(PYTEST_ARGS)
