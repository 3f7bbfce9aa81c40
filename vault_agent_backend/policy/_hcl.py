"""A position-keeping HCL (v1) / JSON reader for policy documents.

``hcl.loads`` (pyhcl) folds its input into dicts, which loses what Vault's Go HCL
parser keeps and what policy semantics depend on: repeated ``path "x"`` stanzas (they
merge), repeated keys, item order, booleans and nested lists inside lists, and the
line/column of every item (Vault's error messages quote them). So this module drives
pyhcl's *lexer* (``hcl.lexer.Lexer``: strings, heredocs, numbers, comments) with a
small recursive-descent parser that builds an ordered tree of :class:`HclItem`.
JSON documents get the same tree, with Go HCL's JSON flattening of nested objects.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from hcl.lexer import Lexer

from ._hcl_strings import decode_string, go_heredoc, mask_escaped_backslashes

__all__ = ["HclItem", "HclList", "HclObject", "HclSyntaxError", "Ident", "parse_document"]


class HclSyntaxError(ValueError):
    """The text is not valid HCL/JSON; the message is ``At L:C: ...`` like Go's."""


class Ident(str):
    """A bare identifier met where a value was expected (Go HCL rejects these)."""


@dataclass(frozen=True)
class HclItem:
    """One ``keys... = value`` or ``keys... { ... }`` item.

    ``assign_line`` is the line of the ``=``/``:`` (0 for block syntax, as in Go);
    ``value_pos`` is the ``(line, column)`` where the value starts.
    """

    keys: tuple[str, ...]
    value: Any
    assign_line: int
    value_pos: tuple[int, int]


class HclObject(list[HclItem]):
    """An ordered list of items (duplicates kept)."""

    def filter(self, key: str) -> list[HclItem]:
        """Items whose first key is ``key`` (case-insensitively), with it stripped."""
        out = []
        for item in self:
            if item.keys and item.keys[0].lower() == key.lower():
                out.append(HclItem(item.keys[1:], item.value, item.assign_line, item.value_pos))
        return out


#: pyhcl tokens for characters Go's HCL scanner does not know ("illegal char").
_ILLEGAL_TOKENS = frozenset(
    {"MULTIPLY", "DIVIDE", "LEFTPAREN", "RIGHTPAREN", "QMARK", "COLON", "ASTERISK_PERIOD"}
    | {"GT", "GE", "LT", "LE", "NE"}
)


class HclList(list[Any]):
    """A list value; ``positions`` holds the ``(line, column)`` of each element."""

    positions: list[tuple[int, int]]


_TOKEN_NAMES = {
    "IDENTIFIER": "IDENT",
    "EQUAL": "ASSIGN",
    "LEFTBRACE": "LBRACE",
    "RIGHTBRACE": "RBRACE",
    "LEFTBRACKET": "LBRACK",
    "RIGHTBRACKET": "RBRACK",
    "MINUS": "SUB",
    "EOF": "EOF",
}


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


_BASE_LEXER: Lexer | None = None


def _new_lexer() -> Any:
    """A fresh PLY lexer: building pyhcl's ``Lexer`` costs ~1 ms, cloning one is cheap."""
    global _BASE_LEXER
    if _BASE_LEXER is None:
        _BASE_LEXER = Lexer()
    lexer = _BASE_LEXER.lex.clone()
    lexer.lineno = 1
    return lexer


@dataclass
class _Tok:
    type: str
    value: Any
    start: int


class _HclParser:
    """Recursive descent over pyhcl's token stream (one instance per document)."""

    def __init__(self, text: str) -> None:
        self.text = text
        lexer = _new_lexer()
        masked = mask_escaped_backslashes(text)
        lexer.input(masked)
        self.toks: list[_Tok] = []
        # Go's scanner reports bad escapes and goes on; the last one seen is the error.
        self.scan_errors: list[tuple[int, HclSyntaxError]] = []
        try:
            while True:
                tok = lexer.token()
                if tok is None:
                    break
                start, value = tok.lexpos, tok.value
                if tok.type == "STRING" and text[tok.lexpos] == '"':
                    start = lexer.abs_start - 1
                    value, errors = decode_string(text[start : lexer.lexpos], start)
                    for offset, message in errors:
                        self.scan_errors.append((len(self.toks), self._error_at(offset, message)))
                elif tok.type == "STRING":  # a heredoc: Go keeps its last newline
                    start = text.rfind("<<", 0, lexer.here_start)
                    value = go_heredoc(text[start : lexer.lexpos] + "\n")
                elif tok.type in _ILLEGAL_TOKENS:
                    if tok.type == "DIVIDE" and text.startswith("/*", start):
                        # Go's scanner reads the open comment to the end: its last error
                        raise self._error_at(len(text), "comment not terminated")
                    self.scan_errors.append((len(self.toks), self._error_at(start, "illegal char")))
                self.toks.append(_Tok(tok.type, value, start))
        except ValueError as exc:  # pyhcl's lexer errors: "Line L, column C, index I: msg"
            msg = str(exc)
            index = msg.split("index ", 1)[-1].split(":", 1)[0]
            offset = int(index) if index.isdigit() else len(text)
            message = msg.rsplit(": ", 1)[-1]
            if message.startswith("EOF before closing"):  # Go's wording
                message = "literal not terminated"
            elif message.startswith("Illegal character"):
                message = "illegal char"
            raise self._error_at(offset, message) from None
        self.toks.append(_Tok("EOF", None, len(text)))
        self.i = 0

    def document(self) -> HclObject:
        """The top-level item list; a scanner error (bad escape) seen up to where parsing
        stopped takes precedence, as in Go."""
        try:
            items = self.objectlist(None)
        except HclSyntaxError:
            seen = [err for index, err in self.scan_errors if index <= self.i]
            if seen:
                raise seen[-1] from None
            raise
        if self.scan_errors:
            raise self.scan_errors[-1][1]
        return items

    def _error_at(self, offset: int, message: str) -> HclSyntaxError:
        line, col = _position(self.text, offset)
        return HclSyntaxError(f"At {line}:{col}: {message}")

    def _error(self, tok: _Tok, message: str) -> HclSyntaxError:
        if tok.type == "EOF":  # Go reports EOF one column past the end
            line, col = _position(self.text, tok.start)
            return HclSyntaxError(f"At {line}:{col + 1}: {message}")
        return self._error_at(tok.start, message)

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    @staticmethod
    def name(tok: _Tok) -> str:
        return _TOKEN_NAMES.get(tok.type, tok.type)

    def objectlist(self, closing: str | None) -> HclObject:
        items = HclObject()
        while True:
            tok = self.peek()
            if tok.type == "EOF":
                if closing is not None:
                    raise self._error(tok, "object expected closing RBRACE got: EOF")
                return items
            if closing is not None and tok.type == closing:
                return items
            items.append(self.objectitem())
            if self.peek().type == "COMMA":
                self.next()

    def objectitem(self) -> HclItem:
        keys: list[str] = []
        while True:
            tok = self.next()
            if tok.type in ("IDENTIFIER", "STRING"):
                keys.append(str(tok.value))
                continue
            if tok.type == "EQUAL" and keys:
                if len(keys) > 1:
                    raise self._error(tok, f"nested object expected: LBRACE got: {self.name(tok)}")
                assign_line = _position(self.text, tok.start)[0]
                start = self.peek()
                return HclItem(tuple(keys), self.value(), assign_line, self._pos(start))
            if tok.type == "EQ" and keys:  # "==": Go reads "=" then an unexpected "="
                line, col = _position(self.text, tok.start + 1)
                raise self._error_at(tok.start + 1, f"Unknown token: {line}:{col} ASSIGN =")
            if tok.type == "LEFTBRACE" and keys:
                self.i -= 1
                start = self.peek()
                return HclItem(tuple(keys), self.object(), 0, self._pos(start))
            if not keys:
                raise self._error(
                    tok, f"expected: IDENT | STRING | ASSIGN | LBRACE got: {self.name(tok)}"
                )
            raise self._error(
                tok, f"key '{keys[0]}' expected start of object ('{{') or assignment ('=')"
            )

    def _pos(self, tok: _Tok) -> tuple[int, int]:
        return _position(self.text, tok.start)

    def object(self) -> HclObject:
        self.next()  # LBRACE
        items = self.objectlist("RIGHTBRACE")
        self.next()
        return items

    def value(self) -> Any:
        tok = self.peek()
        if tok.type in ("STRING", "NUMBER", "FLOAT", "BOOL"):
            self.next()
            if tok.type in ("NUMBER", "FLOAT") and self.peek().type in ("EPLUS", "EMINUS"):
                sign = "-" if self.next().type == "EMINUS" else ""
                if self.peek().type != "NUMBER":  # "1e": Go's strconv.ParseFloat fails
                    raise self._error(self.peek(), "invalid exponent in a number")
                return float(f"{tok.value}e{sign}{self.next().value}")
            return tok.value
        if tok.type == "LEFTBRACKET":
            return self.list_()
        if tok.type == "LEFTBRACE":
            return self.object()
        if tok.type == "IDENTIFIER":
            line, col = self._pos(tok)
            raise self._error(tok, f"Unknown token: {line}:{col} IDENT {tok.value}")
        raise self._error(tok, f"Unknown token: {self.name(tok)}")

    def list_(self) -> list[Any]:
        self.next()  # LBRACK
        out = HclList()
        out.positions = []
        need_comma = False
        while True:
            tok = self.peek()
            if tok.type == "RIGHTBRACKET":
                self.next()
                return out
            if need_comma:
                if tok.type != "COMMA":
                    raise self._error(
                        tok,
                        f"error parsing list, expected comma or list end, got: {self.name(tok)}",
                    )
                self.next()
                need_comma = False
                continue
            if tok.type in ("STRING", "NUMBER", "FLOAT", "BOOL", "LEFTBRACKET", "LEFTBRACE"):
                out.positions.append(self._pos(tok))
                out.append(self.value())
                need_comma = True
                continue
            if tok.type == "EOF":
                raise self._error(tok, "list expected closing RBRACK got: EOF")
            raise self._error(tok, f"unexpected token while parsing list: {self.name(tok)}")


_JSON_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


class _JsonParser:
    """JSON into the same item tree (so keys keep order, duplicates and positions)."""

    _WS = " \t\r\n"

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def _error(self, message: str) -> HclSyntaxError:
        line, col = _position(self.text, self.i)
        return HclSyntaxError(f"At {line}:{col}: {message}")

    def ws(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in self._WS:
            self.i += 1

    def value(self) -> Any:
        self.ws()
        if self.i >= len(self.text):
            raise self._error("unexpected EOF")
        c = self.text[self.i]
        if c == "{":
            return self.object()
        if c == "[":
            self.i += 1
            out: list[Any] = []
            self.ws()
            if self.text.startswith("]", self.i):
                self.i += 1
                return out
            while True:
                out.append(self.value())
                self.ws()
                if self.text.startswith(",", self.i):
                    self.i += 1
                    self.ws()
                    if self.text.startswith("]", self.i):  # Go's HCL allows a trailing comma
                        self.i += 1
                        return out
                elif self.text.startswith("]", self.i):
                    self.i += 1
                    return out
                else:
                    raise self._error("expected comma or list end")
        if c == '"':
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.i):
                self.i += len(word)
                return val
        m = _JSON_NUMBER.match(self.text, self.i)
        if not m or not m.group(0):
            raise self._error(f"unexpected character {c!r}")
        self.i = m.end()
        return json.loads(m.group(0))

    def string(self) -> str:
        j = self.i + 1
        while j < len(self.text) and self.text[j] != '"':
            j += 2 if self.text[j] == "\\" else 1
        if j >= len(self.text):
            raise self._error("literal not terminated")
        raw = self.text[self.i : j + 1]
        self.i = j + 1
        return json.loads(raw)

    def object(self) -> HclObject:
        self.i += 1
        items = HclObject()
        self.ws()
        if self.text.startswith("}", self.i):
            self.i += 1
            return items
        while True:
            self.ws()
            if not self.text.startswith('"', self.i):
                raise self._error("expected: STRING")
            key = self.string()
            self.ws()
            if not self.text.startswith(":", self.i):
                raise self._error("expected: COLON")
            assign_line = _position(self.text, self.i)[0]
            self.i += 1
            self.ws()
            pos = _position(self.text, self.i)
            items.append(HclItem((key,), self.value(), assign_line, pos))
            self.ws()
            if self.text.startswith(",", self.i):
                self.i += 1
                self.ws()
                if self.text.startswith("}", self.i):  # Go's HCL allows a trailing comma
                    self.i += 1
                    return items
            elif self.text.startswith("}", self.i):
                self.i += 1
                return items
            else:
                raise self._error("expected comma or object end")


def _flatten(obj: HclObject) -> HclObject:
    """Go HCL's JSON flattening: ``{"a": {"b": {...}}}`` becomes item ``a b {...}``
    when every member of the inner object is itself an object, and a list made only of
    objects becomes one item per element."""
    out = HclObject()
    frontier = list(obj)
    done: list[HclItem] = []
    while frontier:
        item = frontier.pop()
        val = item.value
        if isinstance(val, HclObject) and val and all(isinstance(s.value, HclObject) for s in val):
            for sub in val:
                frontier.append(
                    HclItem(item.keys + sub.keys, sub.value, item.assign_line, sub.value_pos)
                )
        elif (
            isinstance(val, list)
            and not isinstance(val, HclObject)
            and val
            and all(isinstance(e, HclObject) for e in val)
        ):
            for elem in val:
                frontier.append(HclItem(item.keys, elem, item.assign_line, item.value_pos))
        else:
            done.append(item)
    for item in reversed(done):
        val = item.value
        if isinstance(val, HclObject):
            val = _flatten(val)
        out.append(HclItem(item.keys, val, item.assign_line, item.value_pos))
    return out


_lock = threading.Lock()


def parse_document(text: str) -> HclObject:
    """Parse an HCL or JSON document into its top-level item list.

    Raises :class:`HclSyntaxError` with a Go-style ``At line:col: ...`` message.
    """
    stripped = text.lstrip()
    if stripped.startswith("{"):
        parser = _JsonParser(text)
        parser.ws()
        root = parser.object()
        parser.ws()
        if parser.i != len(text):
            raise parser._error("unexpected data after the document")
        return _flatten(root)
    with _lock:  # pyhcl's lexer module is not known to be re-entrant
        hcl_parser = _HclParser(text)
    return hcl_parser.document()
