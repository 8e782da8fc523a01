"""The layers hold: nothing imports a layer above its own, and the faces (CLI, web) reach the
catalog only through the services.

Read from the source with `ast`, so a violation anywhere in src/sijill fails here, including
imports inside functions. Each test also builds a violating module in memory and checks that
the rule catches it, so the check cannot pass by finding nothing to look at.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sijill"

# Higher numbers may import lower ones (and their own layer), never the other way round.
RANK = {
    "errors": 0,
    "settings": 0,
    "tools": 0,
    "text": 0,
    "storage": 1,
    "analysis": 2,
    "pipeline": 2,
    "protect": 2,
    "leakcheck": 2,
    "archive": 3,
    "review": 4,
    "web": 5,
    "cli": 5,
    "__main__": 6,
}
# Pairs that the ranks allow but the design forbids.
FORBIDDEN = {
    ("leakcheck", "protect"),  # the leak check is independent of what it checks
    ("protect", "leakcheck"),
    ("web", "cli"),
}
FACES = ("cli", "web")
# What a face may not import: the catalog is reached through the services.
FACE_BANNED = (
    "sqlalchemy",
    "sijill.storage.models",
    "sijill.storage.repositories",
    "sijill.storage.db",
)
FACE_BANNED_CALLS = ("session", "reading", "begin")


# Outside storage/, what may come from SQLAlchemy: the session type (a service holds the
# transaction and passes it to repositories), object_session, and its error classes.
SQL_ALLOWED = {"sqlalchemy.orm": {"Session", "object_session"}, "sqlalchemy.exc": None}


def _top(rel: Path) -> str:
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def layer_violations(top: str, name: str, source: str) -> list[str]:
    bad = []
    for line, module in _imports(ast.parse(source)):
        if not module.startswith("sijill."):
            continue
        target = module.split(".")[1]
        if target == top:
            continue
        if target not in RANK:
            bad.append(f"{name}:{line}: {module} is in no layer (add it to RANK)")
        elif RANK[target] > RANK[top] or (top, target) in FORBIDDEN:
            bad.append(f"{name}:{line}: {top} imports {module}")
    return bad


def face_violations(name: str, source: str) -> list[str]:
    tree = ast.parse(source)
    bad = [
        f"{name}:{line}: imports {module}"
        for line, module in _imports(tree)
        if any(module == b or module.startswith(b + ".") for b in FACE_BANNED)
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr == "catalog":
                bad.append(f"{name}:{node.lineno}: uses .catalog")
            if (
                node.attr in FACE_BANNED_CALLS
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "catalog"
            ):
                bad.append(f"{name}:{node.lineno}: opens a catalog transaction")
    return bad


def sql_violations(name: str, source: str) -> list[str]:
    """Query building (select, insert, update, delete, func, text...) or `.execute` outside
    the repositories."""
    bad = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bad += [
                f"{name}:{node.lineno}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            allowed = SQL_ALLOWED.get(node.module or "", set())
            if allowed is None:
                continue
            bad += [
                f"{name}:{node.lineno}: from {node.module} import {a.name}"
                for a in node.names
                if a.name not in allowed
            ]
        elif isinstance(node, ast.Attribute) and node.attr in ("execute", "scalars", "scalar"):
            bad.append(f"{name}:{node.lineno}: .{node.attr}() belongs in a repository")
    return bad


def _modules() -> list[tuple[str, str, str]]:
    mods = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        mods.append((_top(rel), rel.as_posix(), path.read_text("utf-8")))
    return mods


def test_every_package_has_a_layer() -> None:
    tops = {_top(p.relative_to(SRC)) for p in SRC.rglob("*.py")}
    assert tops - {"__init__"} <= set(RANK), sorted(tops - set(RANK))


def test_no_layer_imports_one_above_it() -> None:
    bad = [v for top, name, src in _modules() for v in layer_violations(top, name, src)]
    assert not bad, "\n".join(bad)


def test_faces_reach_the_catalog_only_through_services() -> None:
    bad = [v for top, name, src in _modules() if top in FACES for v in face_violations(name, src)]
    assert not bad, "\n".join(bad)


def test_sql_lives_in_the_storage_layer() -> None:
    bad = [
        v for top, name, src in _modules() if top != "storage" for v in sql_violations(name, src)
    ]
    assert not bad, "\n".join(bad)


def test_the_rules_catch_what_they_forbid() -> None:
    assert sql_violations("x.py", "from sqlalchemy import select\n")
    assert sql_violations("x.py", "import sqlalchemy\n")
    assert sql_violations("x.py", "def f(s):\n    return s.execute(q).all()\n")
    assert not sql_violations("x.py", "from sqlalchemy.orm import Session\n")
    assert not sql_violations("x.py", "from sqlalchemy.exc import SQLAlchemyError\n")
    assert layer_violations("storage", "x.py", "from sijill.archive.reading import items\n")
    assert layer_violations("pipeline", "x.py", "def f():\n    import sijill.archive.lookup\n")
    assert layer_violations("leakcheck", "x.py", "from sijill.protect.faces import blur\n")
    assert layer_violations("storage", "x.py", "from sijill.analysis.mentions import name_key\n")
    assert not layer_violations("archive", "x.py", "from sijill.storage.models import Item\n")
    assert face_violations("x.py", "from sqlalchemy import select\n")
    assert face_violations("x.py", "from sijill.storage.models import Item\n")
    assert face_violations("x.py", "def f(a):\n    with a.catalog.session() as s:\n        pass\n")
    assert not face_violations("x.py", "from sijill.archive.reading import items\n")
