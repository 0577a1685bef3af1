"""The flow runs one way: a module never imports one to its right, and only the edges touch frameworks."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
# Left to right. A module may import any module in its own layer or to its left.
LAYERS = [
    {"errors", "types", "offline", "settings", "textmatch", "sentences", "dates", "snapshot"},
    {"entities", "readers", "corpus", "corpus_add", "deal_attributes", "extract", "review"},
    {"embedding", "store", "ingest"},
    {"retrieve", "roles", "slots", "plan", "followup", "wording"},
    {"extractive", "citations", "graph", "relations", "compose", "llm"},
    {"answer"},
    {"condense", "chat"},
    {"api"},
    {"citecheck", "eval_report", "eval_starter"},
    {
        "render",
        "ui_html",
        "ui_assets",
        "suggest",
        "graph_plot",
        "evaluate",
        "plan_eval",
        "baselines",
        "ui",
        "server",
        "cli",
        "__main__",
        "__init__",
    },
]
FRAMEWORKS = {
    "llama_index": {"ingest", "retrieve", "embedding", "store", "evaluate", "baselines"},
    "chromadb": {"store"},
    "openai": {"llm"},
    "gradio": {"ui"},
    "fastapi": {"server"},
}


def _layer(name: str) -> int:
    return next((i for i, layer in enumerate(LAYERS) if name in layer), len(LAYERS))


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_every_module_has_a_layer():
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    placed = [name for layer in LAYERS for name in layer]
    assert not modules - set(placed), f"modules with no layer: {sorted(modules - set(placed))}"
    assert not set(placed) - modules, f"layers name missing modules: {sorted(set(placed) - modules)}"
    assert len(placed) == len(set(placed)), "a module sits in two layers"


def test_no_module_imports_one_to_its_right():
    for path in PACKAGE.glob("*.py"):
        mine = _layer(path.stem)
        for module in _imports(path):
            if module.startswith("assistant.") and module.count(".") == 1:
                other = module.split(".")[1]
                assert _layer(other) <= mine, f"{path.name} imports {module}"


def test_frameworks_stay_at_the_edges():
    for path in PACKAGE.glob("*.py"):
        for module in _imports(path):
            top = module.split(".")[0]
            if top in FRAMEWORKS:
                assert path.stem in FRAMEWORKS[top], f"{path.name} imports {top}"


def test_library_code_never_reads_the_environment():
    for path in PACKAGE.glob("*.py"):
        if path.stem in ("offline",):
            continue
        assert "os.environ" not in path.read_text(encoding="utf-8"), path.name
