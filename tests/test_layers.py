"""The package's modules import one another without a cycle, each layer only those below."""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every module that reaches itself through its imports, with one path that does."""
    found = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            path = graph.find_shortest_chain(importer=imported, imported=module)
            if path:
                found.append([module, *path])
    return found


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("newsletter", exclude_type_checking_imports=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.one")
    assert _cycles(graph) == [["a.one", "a.two", "a.one"], ["a.two", "a.one", "a.two"]]
