"""One revert mechanism for every exact twin: a failed call leaves every piece of state exactly as before.

On chain a reverted transaction undoes every storage write of every contract it touched. The twins mirror
this with one journal:

* :func:`reverts_atomically` marks a twin's entry point (the contract's external function). The outermost
  such call opens a transaction on the chain's :class:`Journal` (held by the shared token ledger) and saves
  the state of every *participant*: the twin, and the twins it calls, found through each class's
  ``journal_links`` (attribute names holding other twins, or dicts/lists of them), transitively. A nested
  entry point saves nothing already saved; a twin first reached inside the call (a flash-loan callback's
  pair, say) is saved when its own entry point is first called. On a :class:`~protocol_model.exact.errors.PoolError`
  the outermost call restores every saved object **in place** (the same dicts, lists and objects, so every
  alias held elsewhere sees the old state) and re-raises.
* :func:`sub_call` is Solidity's ``try``/``catch`` around an external call: a savepoint whose revert restores
  what the inner call touched and lets the caller continue. A nested revert caught *without* a savepoint
  would leave its partial writes behind; the journal detects it and raises :class:`JournalError`.

Saving is structural and shallow where the data cannot change: ints, strings, frozen dataclasses (parameters,
events) and tuples of them are kept by reference; dicts, lists, sets and mutable objects are copied one level
per container. Only :class:`~protocol_model.exact.errors.PoolError` (a contract revert) restores; any other
exception is a model bug and propagates with the transaction closed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Concatenate, ParamSpec, TypeVar

from protocol_model.exact.errors import PoolError

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

_ATOMS = frozenset({int, str, bool, float, bytes, type(None)})


class JournalError(RuntimeError):
    """A twin caught a nested call's revert without :func:`sub_call`: its partial writes would survive."""


# ---------------------------------------------------------------- saving and restoring one object


class _Memento:
    """A saved container or object; ``restore()`` writes the saved state back in place and returns it."""

    __slots__ = ("target", "saved")

    def __init__(self, target: Any, saved: Any):
        self.target = target
        self.saved = saved

    def restore(self) -> Any:
        raise NotImplementedError


class _FlatMapping(_Memento):
    """A dict or set whose items are all immutable: a shallow copy."""

    __slots__ = ()

    def restore(self) -> Any:
        self.target.clear()
        self.target.update(self.saved)
        return self.target


class _FlatList(_Memento):
    __slots__ = ()

    def restore(self) -> Any:
        self.target[:] = self.saved
        return self.target


class _Dict(_Memento):
    __slots__ = ()

    def restore(self) -> Any:
        self.target.clear()
        self.target.update({k: _restore(v) for k, v in self.saved.items()})
        return self.target


class _List(_Memento):
    __slots__ = ()

    def restore(self) -> Any:
        self.target[:] = [_restore(v) for v in self.saved]
        return self.target


class _Tuple(_Memento):
    """A tuple holding mutable items: the tuple itself cannot change, its items are restored."""

    __slots__ = ()

    def restore(self) -> Any:
        for v in self.saved:
            _restore(v)
        return self.target


class _Object(_Memento):
    """A mutable object (a non-frozen dataclass such as ``AssetState``): every attribute."""

    __slots__ = ()

    def restore(self) -> Any:
        attributes = self.target.__dict__
        attributes.clear()
        attributes.update({k: _restore(v) for k, v in self.saved.items()})
        return self.target


def _restore(value: Any) -> Any:
    return value.restore() if isinstance(value, _Memento) else value


def _is_atom(value: Any) -> bool:
    t = type(value)
    return t in _ATOMS or ((t is tuple or t is frozenset) and all(type(x) in _ATOMS for x in value))


def _save(value: Any) -> Any:
    """The value itself when it cannot change, else a memento of it (recursively)."""
    t = type(value)
    if t in _ATOMS:
        return value
    if t is dict:
        if all(type(v) in _ATOMS for v in value.values()):
            return _FlatMapping(value, value.copy())
        return _Dict(value, {k: _save(v) for k, v in value.items()})
    if t is list:
        if all(type(v) in _ATOMS for v in value):
            return _FlatList(value, value.copy())
        return _List(value, [_save(v) for v in value])
    if t is set:
        return _FlatMapping(value, value.copy())  # set items are hashable, hence treated as values
    if t is tuple or t is frozenset:
        return value if _is_atom(value) else _Tuple(value, [_save(v) for v in value])
    if hasattr(t, "journal_links") or t is Journal:
        return value  # another twin: a participant saved on its own (or the journal itself)
    params = getattr(t, "__dataclass_params__", None)
    if params is not None and params.frozen:
        return value
    if isinstance(value, Enum) or callable(value):
        return value
    if hasattr(value, "__dict__"):
        return _Object(value, {k: _save(v) for k, v in vars(value).items()})
    raise TypeError(f"the revert journal cannot save a {t.__name__}")


# ---------------------------------------------------------------- participants and the journal


def participants(twin: object) -> list[object]:
    """``twin`` and every twin reachable through ``journal_links`` (a class attribute: names of attributes
    holding a twin, a dict of twins or a list of twins), each once, ``twin`` first."""
    found = {id(twin): twin}
    todo = [twin]
    while todo:
        obj = todo.pop()
        for name in getattr(type(obj), "journal_links", ()):
            linked = getattr(obj, name)
            for other in _twins(linked):
                if id(other) not in found:
                    found[id(other)] = other
                    todo.append(other)
    return list(found.values())


def _twins(linked: Any) -> Iterable[object]:
    if linked is None:
        return ()
    if isinstance(linked, dict):
        return linked.values()
    if isinstance(linked, list | tuple):
        return linked
    return (linked,)


@dataclass
class _Frame:
    """One transaction or savepoint: the saved state of each object it touched (by id) and the reverts of
    nested entry points seen inside it."""

    saved: dict[int, _Memento] = field(default_factory=dict)
    escaped: list[PoolError] = field(default_factory=list)

    def save(self, objects: Iterable[object]) -> None:
        for obj in objects:
            if id(obj) not in self.saved:
                self.saved[id(obj)] = _Object(obj, {k: _save(v) for k, v in vars(obj).items()})

    def restore(self) -> None:
        for memento in self.saved.values():
            memento.restore()


@dataclass
class Journal:
    """The open transaction (``frames[0]``) and its savepoints of one chain; empty between calls."""

    frames: list[_Frame] = field(default_factory=list)

    def __deepcopy__(self, memo: dict[int, Any]) -> Journal:
        return Journal()  # a copied world starts outside any transaction

    @property
    def active(self) -> bool:
        """Whether a transaction is open (at least one frame): an entry point called now joins it as a savepoint
        instead of opening its own. Raises nothing."""
        return bool(self.frames)

    def begin(self, objects: Iterable[object]) -> None:
        """Open a transaction (or a savepoint inside one) saving ``objects``."""
        frame = _Frame()
        frame.save(objects)
        self.frames.append(frame)

    def touch(self, objects: Iterable[object]) -> None:
        """Inside a transaction: save the objects the innermost frame has not saved yet."""
        self.frames[-1].save(objects)

    def commit(self) -> None:
        """Close the innermost frame; a savepoint hands what it saved to the frame around it.

        Raises :class:`JournalError` (after restoring the frame) if a nested entry point reverted inside it and
        the revert was swallowed."""
        frame = self.frames.pop()
        if frame.escaped:
            frame.restore()
            raise JournalError(f"a nested call's revert {frame.escaped[0].name} was caught without sub_call: "
                               "its writes were not undone") from frame.escaped[0]
        if self.frames:
            outer = self.frames[-1].saved
            for key, memento in frame.saved.items():
                outer.setdefault(key, memento)

    def rollback(self) -> None:
        """Restore everything the innermost frame saved and close it."""
        self.frames.pop().restore()

    def abandon(self) -> None:
        """Close the innermost frame without restoring (a non-revert exception: a model bug)."""
        self.frames.pop()


def journal_of(objects: Iterable[object]) -> Journal:
    """The journal of the chain the ``objects`` live on (the first participant holding one: the ledger)."""
    for obj in objects:
        journal = getattr(obj, "journal", None)
        if isinstance(journal, Journal):
            return journal
    raise TypeError("no participant holds a Journal: link the twin to its ledger in journal_links")


@contextmanager
def _frame(journal: Journal, objects: list[object]) -> Iterator[None]:
    journal.begin(objects)
    try:
        yield
    except PoolError:
        journal.rollback()
        raise
    except BaseException:
        journal.abandon()
        raise
    journal.commit()


def reverts_atomically(method: Callable[Concatenate[T, P], R]) -> Callable[Concatenate[T, P], R]:
    """Decorate a twin's entry point: a :class:`~protocol_model.exact.errors.PoolError` raised anywhere inside
    undoes the call's writes to every participant (see the module docstring), then propagates."""

    @functools.wraps(method)
    def call(self: T, *args: P.args, **kwargs: P.kwargs) -> R:
        objects = participants(self)
        journal = journal_of(objects)
        if not journal.frames:
            with _frame(journal, objects):
                return method(self, *args, **kwargs)
        journal.touch(objects)
        try:
            return method(self, *args, **kwargs)
        except PoolError as revert:
            journal.frames[-1].escaped.append(revert)
            raise

    return call


@contextmanager
def sub_call(twin: object) -> Iterator[None]:
    """Solidity's ``try twin.f() {...} catch {...}``: a savepoint around calls into ``twin``.

    A :class:`~protocol_model.exact.errors.PoolError` inside restores what the calls touched since the
    savepoint and propagates, for the caller to catch and carry on; on success the enclosing transaction keeps
    what was saved (its own revert still undoes everything). Outside a transaction it opens one."""
    objects = participants(twin)
    with _frame(journal_of(objects), objects):
        yield
