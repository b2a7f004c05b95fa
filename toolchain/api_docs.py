"""Build the API reference from the docstrings with pdoc, and find every broken cross-reference.

    python toolchain/api_docs.py out/api          # `make docs`

pdoc links a backticked or reST-role name (``:func:`~protocol_model.sim.metrics.summarize```) when it can
and silently leaves it as text when it cannot. This builder therefore checks every reST role
(``:class:``, ``:func:``, ``:meth:``, ``:mod:``, ``:data:``, ``:attr:``, ``:exc:``) in every documented
docstring: the target must name a documented object, either fully qualified or relative to the object's
module or class. Each broken one is a ``BrokenReference`` warning (and pdoc's own warnings, such as a module
that fails to import, are passed on); the command exits 1 if there is any.

``protocol_model.chain`` is left out: it imports ape and web3 (it has its own pages in docs/).
"""

from __future__ import annotations

import re
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path

SKIP = ("protocol_model.chain", "protocol_model.__main__")
"""Not documented: the chain layer (needs ape), the console entry (runs on import)."""
ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):`~?([A-Za-z_][\w.]*)(?:\(\))?`")


TOLERATED = ("Error parsing type annotation",)
"""pdoc warnings that are no broken reference: a dataclass field annotation inherited from another module
is evaluated in the subclass's namespace (``sim.stable.StableMarket``'s ``tuple[Driver, ...]``)."""


class BrokenReference(UserWarning):
    """A reST role in a docstring whose target is no documented object."""


def _walk(doc) -> Iterator:
    yield doc
    for member in getattr(doc, "own_members", []):
        yield from _walk(member)


def _resolves(target: str, doc, names: set[str]) -> bool:
    """Whether ``target`` names a documented object: qualified, or relative to ``doc``'s module, class or
    any enclosing scope."""
    if target in names:
        return True
    origin = ".".join(x for x in getattr(doc, "taken_from", ()) if x)  # where a re-exported object is defined
    for where in {doc.fullname, origin} - {""}:
        scopes = where.split(".")
        if any(".".join(scopes[:i] + [target]) in names for i in range(len(scopes), 0, -1)):
            return True
    return _defined_as(target, doc.modulename) in names


def _defined_as(target: str, module: str) -> str:
    """The documented name of what ``target`` is in ``module``'s namespace (a name it imports), ``""`` if none."""
    obj: object = sys.modules.get(module)
    for part in target.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return ""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


def broken_references(modules) -> list[str]:
    """``"<object>: <target>"`` for every role in the docstrings of ``modules`` (pdoc ``Module`` objects)
    that names no object documented in them."""
    docs = [d for m in modules for d in _walk(m)]
    names = {d.fullname for d in docs}
    return [f"{d.fullname}: {t}" for d in docs for t in ROLE.findall(d.docstring or "") if not _resolves(t, d, names)]


def module_names() -> list[str]:
    """Every module of the package but :data:`SKIP`, walked here (pdoc's own walk stops at a package whose
    ``__all__`` names its API rather than its modules, as the root's does)."""
    import pkgutil

    import protocol_model

    found = [m.name for m in pkgutil.walk_packages(protocol_model.__path__, "protocol_model.")]
    return ["protocol_model"] + sorted(n for n in found if not n.startswith(SKIP))


def build(out: Path | None) -> list[str]:
    """Render the reference into ``out`` (``None``: check only) and return every warning's message (pdoc's
    own and one per broken reference, each also issued as a warning)."""
    import pdoc.doc
    import pdoc.render

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.render.configure(docformat="restructuredtext", show_source=False)
        modules = {name: pdoc.doc.Module.from_name(name) for name in module_names()}
        if out is not None:
            for module in modules.values():
                page = out / f"{module.fullname.replace('.', '/')}.html"
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(pdoc.render.html_module(module, modules))
            (out / "index.html").write_text(pdoc.render.html_index(modules))
            (out / "search.js").write_text(pdoc.render.search_index(modules))
        for message in broken_references(modules.values()):
            warnings.warn(message, BrokenReference, stacklevel=1)
    return [f"{w.category.__name__}: {w.message}" for w in caught
            if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
            and not str(w.message).startswith(TOLERATED)]


def main(argv: list[str]) -> int:
    """``api_docs.py [OUT]``: build into OUT (default out/api); exit 1 on any warning."""
    out = Path(argv[0]) if argv else Path("out/api")
    problems = build(out)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"API reference: {out / 'index.html'} ({len(problems)} warnings)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
