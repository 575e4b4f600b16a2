# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# torch==2.13.0 is installed before the project because that exact CPU build is what
# this machine (and CI) has on disk; anything looser pulls a multi-GB CUDA build.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TORCH := torch==2.13.0

# Everything stays inside the project folder and offline.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 180
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test install system clean

install: $(INSTALLED)

# constraints.txt: the exact versions everything was tested and benchmarked on (UMAP's layout for a
# seed moves between umap-learn and scipy releases; see that file).
$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[transformers,e5,test]'
	touch $@

demo: $(INSTALLED)
	$(BIN)/qualflow run examples --data qualflow-data/demo

test: $(INSTALLED) system
	$(BIN)/python -m pytest

# The tests drive a real PostgreSQL server and a real browser (Debian's chromium), and draw figures
# with Chinese labels (a CJK font, 5 MB). As root, missing packages are installed; otherwise say how,
# and those tests skip with the same message.
system:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "note: missing Debian packages:$$missing (sudo apt-get install$$missing); their tests will be skipped"; \
	fi

clean:
	rm -rf $(VENV) .prefect .cache qualflow-data .pytest_cache
