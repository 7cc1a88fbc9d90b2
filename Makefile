# Two commands for a newcomer: `make run` and `make test`. Everything else is for maintainers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LANGUAGES := cy ar fa pl uk

.PHONY: run test lint messages translations bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sayso serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# Re-extract every child-facing string (Python and content/*.yaml) and merge into each language.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --add-comments=TRANSLATORS: --no-wrap \
		--project=sayso --msgid-bugs-address=participation@example.org \
		-o locales/messages.pot .
	for lang in $(LANGUAGES); do \
		if [ -f locales/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-wrap -i locales/messages.pot -d locales -l $$lang; \
		else \
			$(BIN)/pybabel init --no-wrap -i locales/messages.pot -d locales -l $$lang; \
		fi; \
	done

bench: $(STAMP)
	$(BIN)/python bench/updates.py

clean:
	rm -rf $(VENV) data locales/*/LC_MESSAGES/*.mo
