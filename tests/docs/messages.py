"""The user-facing error messages written in src/, found with ``ast``.

A message is the first argument of a call to a :class:`SchemashiftError` subclass, or a
message given to the CLI's ``parser.error(...)`` / ``out.error(...)``. Messages are
templates: the ``{...}`` parts of f-strings become placeholders. A few shapes are
followed through one level of helper:

- a factory such as ``_fail(where, message)`` that returns ``ModelError(f"{where}:
  {message}")``: each call ``_fail(where, "...")`` gives a message with the argument put
  in place of ``{message}``;
- a message computed by a helper in the same module (``DatabaseError(self._message(exc))``):
  the string templates that the helper returns.

Run ``python -m tests.docs.messages`` to list them with their fragments.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "schemashift"
BASE_ERROR = "SchemashiftError"
#: Calls of ``<something>.error(message)`` in these folders are user-facing too.
CLI_ERROR_CALLS = ("parser", "out")
#: How much literal text a fragment holds before it stops (at a word's end).
FRAGMENT_CHARS = 40

#: A template: literal text, and None for each placeholder.
Template = tuple[str | None, ...]


@dataclass(frozen=True)
class Message:
    """One message template and where it is raised."""

    path: Path
    line: int
    raiser: str
    template: Template

    @property
    def text(self) -> str:
        """The template with ``…`` for each placeholder."""
        return "".join("…" if part is None else part for part in self.template)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(SRC.parent.parent)}:{self.line}"


def _join(*parts: Template) -> Template:
    out: list[str | None] = []
    for part in parts:
        for piece in part:
            if piece is None and out and out[-1] is None:
                continue
            if isinstance(piece, str) and out and isinstance(out[-1], str):
                out[-1] += piece
            else:
                out.append(piece)
    return tuple(out)


def template_of(node: ast.expr, substitutions: dict[str, Template] | None = None) -> Template:
    """The template of a string expression; anything not literal is a placeholder."""
    subs = substitutions or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.JoinedStr):
        parts: list[Template] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append((value.value,))
            elif isinstance(value, ast.FormattedValue):
                name = value.value.id if isinstance(value.value, ast.Name) else None
                parts.append(subs.get(name, (None,)) if name else (None,))
        return _join(*parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _join(template_of(node.left, subs), template_of(node.right, subs))
    if isinstance(node, ast.Name) and node.id in subs:
        return subs[node.id]
    return (None,)


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of SchemashiftError and of every class deriving from it, anywhere in src."""
    names = {BASE_ERROR}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", None)
                        for b in node.bases
                    }
                    if bases & names:
                        names.add(node.name)
                        grew = True
    return names


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _message_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "message"), None)


@dataclass(frozen=True)
class _Factory:
    """A function that returns (not raises) an error built from its parameters, such as
    ``def _fail(where, message): return ModelError(f"{where}: {message}")``."""

    params: tuple[str, ...]
    call: ast.Call
    template: ast.expr


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _factories(tree: ast.Module, errors: set[str]) -> dict[str, _Factory]:
    found: dict[str, _Factory] = {}
    for name, func in _functions(tree).items():
        params = tuple(a.arg for a in func.args.args)
        for node in ast.walk(func):
            if not (isinstance(node, ast.Return) and isinstance(node.value, ast.Call)):
                continue
            call = node.value
            arg = _message_argument(call) if _called_name(call) in errors else None
            if arg is None:
                continue
            used = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
            if used & set(params):
                found[name] = _Factory(params, call, arg)
    return found


def _returned_templates(func: ast.FunctionDef) -> list[Template]:
    out = []
    for node in ast.walk(func):
        if isinstance(node, ast.Return) and node.value is not None:
            template = template_of(node.value)
            if any(part for part in template if part):
                out.append(template)
    return out


def _call_substitutions(call: ast.Call, factory: _Factory) -> dict[str, Template]:
    subs = {p: template_of(a) for p, a in zip(factory.params, call.args, strict=False)}
    subs.update({k.arg: template_of(k.value) for k in call.keywords if k.arg})
    return subs


def find_messages(src: Path = SRC) -> list[Message]:
    """Every user-facing message template in ``src``."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(src.rglob("*.py"))}
    errors = _error_classes(trees)
    messages: list[Message] = []
    for path, tree in trees.items():
        factories = _factories(tree, errors)
        functions = _functions(tree)
        factory_calls = {id(f.call) for f in factories.values()}
        cli = path.parent.name == "cli"
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in factory_calls:
                continue
            name = _called_name(node)
            templates: list[Template] = []
            if name in factories:
                factory = factories[name]
                templates = [template_of(factory.template, _call_substitutions(node, factory))]
            elif name in errors or (
                cli
                and name == "error"
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in CLI_ERROR_CALLS
            ):
                arg = _message_argument(node)
                if arg is None:
                    continue
                helper = _called_name(arg) if isinstance(arg, ast.Call) else None
                if helper in functions:
                    templates = _returned_templates(functions[helper])
                else:
                    templates = [template_of(arg)]
            for template in templates:
                if any(part and part.strip() for part in template):
                    messages.append(Message(path, node.lineno, name or "?", template))
    return messages


def fragment(template: Template, chars: int = FRAGMENT_CHARS) -> Template:
    """The leading part of ``template`` that identifies it: leading placeholders and
    punctuation dropped, then up to ``chars`` characters of literal text, cut at the end
    of a word."""
    parts = list(template)
    while parts and (parts[0] is None or not re.sub(r"^[\W_]+", "", parts[0])):
        parts.pop(0)
    if not parts:
        return ()
    assert parts[0] is not None
    parts[0] = re.sub(r"^[^\w`'\"(\[]+", "", parts[0])
    out: list[str | None] = []
    total = 0
    for part in parts:
        if part is None:
            out.append(None)
            continue
        if total + len(part) >= chars:
            cut = part[: chars - total]
            rest = part[chars - total :]
            word_end = re.match(r"\S*", rest)
            out.append(cut + (word_end.group(0) if word_end else ""))
            return tuple(out)
        out.append(part)
        total += len(part)
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def fragment_pattern(template: Template) -> re.Pattern[str]:
    """A regex finding ``fragment(template)`` in Markdown: each placeholder matches any
    text on the line, and whitespace matches any whitespace (wrapped lines)."""
    pieces = []
    for part in fragment(template):
        if part is None:
            pieces.append(r"[^\n]+?")
        else:
            words = part.split()
            lead = r"\s*" if part[:1].isspace() else ""
            trail = r"\s*" if part[-1:].isspace() else ""
            pieces.append(lead + r"\s+".join(re.escape(w) for w in words) + trail)
    return re.compile("".join(pieces))


def fragment_text(template: Template) -> str:
    """``fragment(template)`` as text, ``…`` for placeholders."""
    return "".join("…" if p is None else p for p in fragment(template))


if __name__ == "__main__":
    for message in find_messages():
        print(f"{message.where}  {message.raiser}\n    {message.text}")
        print(f"    fragment: {fragment_text(message.template)}")
