.PHONY: setup demo test lint unit integration e2e bench docs screenshots clean

setup:
	@scripts/setup

demo: setup
	@.venv/bin/python scripts/demo.py

lint: setup
	.venv/bin/ruff check src tests scripts bench clients
	.venv/bin/ruff format --check src tests scripts bench clients
	.venv/bin/mypy
	.venv/bin/lint-imports
	.venv/bin/python -m launchdeck.manifest.docs --check docs/manifest.md

test: lint
	.venv/bin/pytest -q -n 2 --dist loadfile

bench: setup
	@.venv/bin/python bench/run.py

docs: setup
	.venv/bin/python -m launchdeck.manifest.docs --write docs/manifest.md

# the dashboard's pages as the browser tests see them, for the README
screenshots: setup
	LAUNCHDECK_SCREENSHOTS=docs/screenshots .venv/bin/pytest -q tests/browser/test_dashboard.py

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
