# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv/ when missing and installs the package with what that target needs.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install bench clean

$(VPY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VPY) setup.py constraints.txt
	$(VPY) -m pip install --upgrade pip
	$(VPY) -m pip install -c constraints.txt -e '.[test,train,bag]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VPY) -m looptrans_core demo --out demo_output

test: $(STAMP)
	$(VPY) -m pytest -q test

bench: $(STAMP)
	$(VPY) -m bench --quick

clean:
	rm -rf $(VENV) demo_output
