# insa — the two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_EMPLOYEES ?= 20000
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2
WATCH_TARGET_PORT ?= 8091
# examples/cyber/collector.yaml listens here (UDP and TCP)
CYBER_SYSLOG_PORT ?= 5514
WATCH_DB_PORT ?= 8092
WATCH_ENV = INSA_DEMO=1 INSA_WATCH_BATCH_TOKEN=demo-batch-token INSA_WEB_URL=http://$(HOST):$(PORT) INSA_DEMO_TARGET=127.0.0.1:$(WATCH_TARGET_PORT) INSA_DEMO_DB=127.0.0.1:$(WATCH_DB_PORT)

.PHONY: demo test install lint typecheck bench clean system-test system-demo screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	touch $(STAMP)

install: $(STAMP)

## what the commands need from the system (Debian packages, PostgreSQL), installed when missing
system-test:
	bash scripts/system-deps.sh test

system-demo:
	bash scripts/system-deps.sh demo

## demo: embedded SQLite under var/, keys generated once into var/ (0600), synthetic data, web app
demo: system-demo install
	INSA_DEMO=1 $(BIN)/insa db upgrade
	INSA_DEMO=1 $(BIN)/insa seed --employees $(DEMO_EMPLOYEES) --if-empty
	INSA_DEMO=1 $(BIN)/insa yearend synth-nts var/nts-2025.jsonl --year 2025
	INSA_DEMO=1 $(BIN)/insa yearend import-nts var/nts-2025.jsonl
	INSA_DEMO=1 $(BIN)/insa allowance new-key var/exchange.key --if-missing
	INSA_DEMO=1 $(BIN)/insa allowance export-claims var/claims --key-file var/exchange.key --as-of 2025-12
	INSA_DEMO=1 $(BIN)/insa allowance verify var/claims --as-of 2025-12 --reports var/allowance-reports
	INSA_DEMO=1 $(BIN)/insa allowance check-entitlement --as-of 2025-12
	INSA_DEMO=1 $(BIN)/insa users demo > /dev/null
	INSA_DEMO=1 $(BIN)/insa travel demo-data var/travel-tickets.jsonl
	INSA_DEMO=1 $(BIN)/insa travel import-tickets var/travel-tickets.jsonl
	INSA_WATCH_BATCH_TOKEN=demo-batch-token $(BIN)/insa watch validate examples/watch/monitors.yaml
	$(WATCH_ENV) $(BIN)/insa watch validate examples/watch/demo.yaml
	$(WATCH_ENV) $(BIN)/insa watch demo-history examples/watch/demo.yaml
	INSA_DEMO=1 $(BIN)/insa cyber demo-data examples/cyber/assets.yaml
	@echo ""
	@echo "  insa demo → http://$(HOST):$(PORT)/   (all data is synthetic)"
	@echo "  장애관제 → http://$(HOST):$(PORT)/watch (demo-ops) · 공개 상태 → http://$(HOST):$(PORT)/status/MOLEG"
	@echo "  사칭 사이트 → http://$(HOST):$(PORT)/cyber/cases (demo-security)"
	@echo "  통합 관제 → http://$(HOST):$(PORT)/cyber/soc (demo-security; 세 부처에 걸친 비밀번호 살포가 시작 뒤 곧 합동 사고로 나타납니다; 수집기 기록 var/cyber-collector.log)"
	@echo "  (법제처 법령 DB 장애가 1분 뒤 3분간 연출됩니다; 점검기 기록 var/watch-checker.log, 사건 var/watch-events.jsonl)"
	@INSA_DEMO=1 $(BIN)/insa users demo
	@echo ""
	@trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	  $(BIN)/insa watch demo-target --port $(WATCH_TARGET_PORT) --db-port $(WATCH_DB_PORT) > var/watch-target.log 2>&1 & \
	  $(WATCH_ENV) $(BIN)/insa watch run examples/watch/demo.yaml --events-out var/watch-events.jsonl > var/watch-checker.log 2>&1 & \
	  INSA_DEMO=1 $(BIN)/insa cyber collect examples/cyber/collector.yaml > var/cyber-collector.log 2>&1 & \
	  INSA_DEMO=1 $(BIN)/insa cyber demo-events --web $(HOST):$(PORT) --syslog 127.0.0.1:$(CYBER_SYSLOG_PORT) > var/cyber-demo-events.log 2>&1 & \
	  INSA_DEMO=1 $(BIN)/insa serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

## test: lint, types, then the whole suite (SQLite and PostgreSQL at 127.0.0.1:5432, db `test`)
test: system-test lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## screenshots: refresh docs/screenshots/ from the browser tests (tests write to build/ otherwise)
screenshots: system-test install
	INSA_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/browser

bench: install
	$(BIN)/python benchmarks/seed.py
	$(BIN)/python benchmarks/web.py
	$(BIN)/python benchmarks/yearend.py
	$(BIN)/python benchmarks/travel.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
