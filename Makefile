# Set-up, checks and the demo. Each target installs what it needs into .venv, so a fresh machine
# with only Python can run `make demo` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ASYNCAPI_CHECK := tests/asyncapi
CONSOLE_VENDOR := console_vendor
UPLOT := operator_console/vendor/uplot

.PHONY: install demo check test lint format lock clean chromium vendor

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $@

# The AsyncAPI parser is the AsyncAPI project's own, from the npm registry. Without Node its test
# is skipped with that reason; under CI=true Node is required.
$(ASYNCAPI_CHECK)/node_modules/.installed: $(ASYNCAPI_CHECK)/package.json $(ASYNCAPI_CHECK)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(ASYNCAPI_CHECK) --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but npm is missing: the AsyncAPI validation cannot run" >&2; exit 1; \
	else \
		echo "npm not found: the AsyncAPI parser test will be skipped"; \
	fi

# The console's charting library, uPlot, from the npm registry at the version console_vendor's
# lock file pins, copied with its licence into operator_console/vendor/ and committed: neither
# the hub, CI nor the demo needs npm or the internet to draw a chart. Run after changing the
# version in console_vendor/package.json (`npm install --package-lock-only` there first);
# SHA256SUMS lets a test see that the committed files are the ones copied.
vendor:
	npm ci --prefix $(CONSOLE_VENDOR) --no-audit --no-fund --loglevel=error
	mkdir -p $(UPLOT)
	cp $(CONSOLE_VENDOR)/node_modules/uplot/dist/uPlot.esm.js \
		$(CONSOLE_VENDOR)/node_modules/uplot/dist/uPlot.min.css \
		$(CONSOLE_VENDOR)/node_modules/uplot/LICENSE $(UPLOT)/
	cd $(UPLOT) && sha256sum uPlot.esm.js uPlot.min.css LICENSE > SHA256SUMS

# The whole system on this machine until Ctrl-C (docs/demo.md); options in DEMO_ARGS, e.g.
# make demo DEMO_ARGS="--homes 10 --speed 60".
demo: install
	$(BIN)/telecare demo $(DEMO_ARGS)

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The console's browser tests drive Debian's Chromium through Playwright (never a browser
# Playwright downloads). Run as root, this installs it when missing; elsewhere those tests are
# skipped with that reason, except under CI=true, where a missing browser fails them.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		:; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	else \
		echo "chromium not found (and not root to install it): the browser tests will be skipped"; \
	fi

test: check $(ASYNCAPI_CHECK)/node_modules/.installed chromium
	$(BIN)/pytest

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-resolve the pinned versions of every Python dependency (run after changing pyproject.toml).
lock:
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --upgrade pip
	$(VENV)-lock/bin/python -m pip install --quiet '.[dev]'
	$(VENV)-lock/bin/python -m pip freeze --exclude telecare > constraints.txt
	rm -rf $(VENV)-lock

clean:
	rm -rf $(VENV) $(ASYNCAPI_CHECK)/node_modules $(CONSOLE_VENDOR)/node_modules .mypy_cache .ruff_cache .pytest_cache
