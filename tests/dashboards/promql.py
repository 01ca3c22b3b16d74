"""A small PromQL parser for linting Grafana dashboard queries (stdlib only).

It builds just enough of a syntax tree to answer structural questions (which
vector selectors an expression has, with which matchers, and inside which
range selector and function), with Grafana variables ($var, ${var}) left in
place: a range such as [$__rate_interval] is kept as its text, and a variable
outside a string (offset $__range) is a token of its own.

It is not the authority on validity: test_dashboard_lint.py also runs every
expression, with the variables substituted, through `promtool check rules`.
"""
import re

AGGREGATIONS = {"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk",
                "quantile", "count_values", "limitk", "limit_ratio"}
# Precedence, lowest first. "^" is right-associative.
BINARY_PRECEDENCE = {
    "or": 1,
    "and": 2, "unless": 2,
    "==": 3, "!=": 3, "<=": 3, "<": 3, ">=": 3, ">": 3,
    "+": 4, "-": 4,
    "*": 5, "/": 5, "%": 5, "atan2": 5,
    "^": 6,
}
COMPARISONS = {"==", "!=", "<=", "<", ">=", ">"}
SET_OPS = {"and", "or", "unless"}


class ParseError(Exception):
    pass


class Node:
    """kind: number, string, var, vector, matrix, subquery, call, agg, binary, unary, paren."""

    def __init__(self, kind, **attrs):
        self.kind = kind
        self.args = []          # child nodes, in order
        self.name = None        # metric name (vector), function or aggregation name
        self.matchers = []      # (label, op, value) for vector selectors
        self.range = None       # text inside [...] (matrix / subquery)
        self.offset = None      # offset text, if any
        self.op = None          # binary / unary operator
        self.grouping = None    # (by|without|on|ignoring, [labels])
        self.group_side = None  # (group_left|group_right, [labels])
        self.bool = False
        self.value = None
        for k, v in attrs.items():
            setattr(self, k, v)

    def __repr__(self):
        return f"Node({self.kind}, name={self.name!r}, args={self.args!r})"


_TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<var>\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<duration>(?:[0-9]+(?:ms|[smhdwy]))+(?![A-Za-z0-9_:.]))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>==|!=|<=|>=|=~|!~|[-+*/%^<>=@])
  | (?P<punct>[(){},:])
""", re.VERBOSE)


def tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ParseError(f"unexpected character {text[pos]!r} at offset {pos}")
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), pos))
        pos = m.end()
    out.append(("eof", "", pos))
    return out


def _unquote(s):
    if s[0] == "`":
        return s[1:-1]
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}.get(
        m.group(1), "\\" + m.group(1)), body)


class _Parser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, kind, value=None):
        t = self.next()
        if t[0] != kind or (value is not None and t[1] != value):
            want = value or kind
            raise ParseError(f"expected {want!r} at offset {t[2]}, found {t[1] or 'end of input'!r}")
        return t

    def at(self, kind, value=None):
        t = self.peek()
        return t[0] == kind and (value is None or t[1] == value)

    def at_ident(self, *values):
        t = self.peek()
        return t[0] == "ident" and t[1] in values

    # expr := binary expression by precedence climbing
    def parse(self):
        node = self.expr(1)
        if not self.at("eof"):
            t = self.peek()
            raise ParseError(f"unexpected {t[1]!r} at offset {t[2]}")
        return node

    def binop_here(self):
        t = self.peek()
        if t[0] == "op" and t[1] in BINARY_PRECEDENCE:
            return t[1]
        if t[0] == "ident" and t[1] in ("and", "or", "unless", "atan2"):
            return t[1]
        return None

    def expr(self, min_prec):
        lhs = self.unary()
        while True:
            op = self.binop_here()
            if op is None or BINARY_PRECEDENCE[op] < min_prec:
                return lhs
            self.next()
            node = Node("binary", op=op)
            if self.at_ident("bool"):
                if op not in COMPARISONS:
                    raise ParseError(f"bool modifier on non-comparison operator {op!r}")
                self.next()
                node.bool = True
            if self.at_ident("on", "ignoring"):
                kw = self.next()[1]
                node.grouping = (kw, self.label_list())
                if self.at_ident("group_left", "group_right"):
                    side = self.next()[1]
                    labels = self.label_list() if self.at("punct", "(") else []
                    node.group_side = (side, labels)
            prec = BINARY_PRECEDENCE[op]
            rhs = self.expr(prec if op == "^" else prec + 1)
            node.args = [lhs, rhs]
            lhs = node

    def unary(self):
        t = self.peek()
        if t[0] == "op" and t[1] in ("+", "-"):
            self.next()
            # unary binds looser than ^: -a^b is -(a^b)
            operand = self.expr(BINARY_PRECEDENCE["^"])
            return Node("unary", op=t[1], args=[operand])
        return self.postfix()

    def postfix(self):
        node = self.primary()
        while True:
            if self.at("range"):
                text = self.next()[1][1:-1].strip()
                if ":" in text:
                    node = Node("subquery", range=text, args=[node])
                else:
                    if node.kind != "vector":
                        raise ParseError(f"range [{text}] on something other than a vector selector")
                    if node.offset is not None:
                        raise ParseError("offset must follow the range selector")
                    node = Node("matrix", range=text, args=[node])
            elif self.at_ident("offset"):
                self.next()
                sign = ""
                if self.at("op", "-"):
                    self.next()
                    sign = "-"
                t = self.next()
                if t[0] not in ("duration", "var"):
                    raise ParseError(f"offset needs a duration at offset {t[2]}, found {t[1]!r}")
                target = node.args[0] if node.kind == "matrix" else node
                if node.kind not in ("vector", "matrix", "subquery"):
                    raise ParseError("offset applies to selectors and subqueries only")
                target.offset = sign + t[1]
            elif self.at("op", "@"):
                self.next()
                t = self.next()
                if t[0] == "ident" and t[1] in ("start", "end"):
                    self.expect("punct", "(")
                    self.expect("punct", ")")
                elif t[0] not in ("number", "var"):
                    raise ParseError(f"@ needs a timestamp at offset {t[2]}")
            else:
                return node

    def primary(self):
        t = self.peek()
        if t[0] == "number":
            self.next()
            return Node("number", value=t[1])
        if t[0] == "duration":
            # a bare duration is not a number in PromQL 2.x
            raise ParseError(f"unexpected duration {t[1]!r} at offset {t[2]}")
        if t[0] == "string":
            self.next()
            return Node("string", value=_unquote(t[1]))
        if t[0] == "var":
            self.next()
            return Node("var", value=t[1])
        if t[0] == "punct" and t[1] == "(":
            self.next()
            inner = self.expr(1)
            self.expect("punct", ")")
            return Node("paren", args=[inner])
        if t[0] == "punct" and t[1] == "{":
            return self.vector(None)
        if t[0] == "ident":
            name = t[1]
            nxt = self.peek(1)
            if name.lower() in ("inf", "nan") and not (nxt[0] == "punct" and nxt[1] in "({"):
                self.next()
                return Node("number", value=name)
            if name in AGGREGATIONS and (nxt[0] == "punct" and nxt[1] == "(" or
                                         nxt[0] == "ident" and nxt[1] in ("by", "without")):
                return self.aggregation()
            if nxt[0] == "punct" and nxt[1] == "(":
                self.next()
                self.next()
                args = self.arg_list()
                return Node("call", name=name, args=args)
            if name in ("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                        "and", "or", "unless", "atan2"):
                raise ParseError(f"unexpected keyword {name!r} at offset {t[2]}")
            self.next()
            return self.vector(name)
        raise ParseError(f"unexpected {t[1] or 'end of input'!r} at offset {t[2]}")

    def arg_list(self):
        args = []
        if self.at("punct", ")"):
            self.next()
            return args
        while True:
            args.append(self.expr(1))
            if self.at("punct", ","):
                self.next()
                continue
            self.expect("punct", ")")
            return args

    def label_list(self):
        self.expect("punct", "(")
        labels = []
        while not self.at("punct", ")"):
            t = self.next()
            if t[0] != "ident":
                raise ParseError(f"expected a label name at offset {t[2]}, found {t[1]!r}")
            labels.append(t[1])
            if self.at("punct", ","):
                self.next()
            elif not self.at("punct", ")"):
                t = self.peek()
                raise ParseError(f"expected ',' or ')' at offset {t[2]}")
        self.next()
        return labels

    def aggregation(self):
        name = self.next()[1]
        node = Node("agg", name=name)
        if self.at_ident("by", "without"):
            kw = self.next()[1]
            node.grouping = (kw, self.label_list())
        self.expect("punct", "(")
        node.args = self.arg_list()
        if self.at_ident("by", "without"):
            if node.grouping:
                raise ParseError("aggregation grouping given twice")
            kw = self.next()[1]
            node.grouping = (kw, self.label_list())
        want = 2 if name in ("topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio") else 1
        if len(node.args) != want:
            raise ParseError(f"{name} takes {want} argument(s), got {len(node.args)}")
        return node

    def vector(self, name):
        node = Node("vector", name=name)
        if self.at("punct", "{"):
            self.next()
            while not self.at("punct", "}"):
                lt = self.next()
                if lt[0] != "ident":
                    raise ParseError(f"expected a label name at offset {lt[2]}, found {lt[1]!r}")
                op = self.next()
                if op[0] != "op" or op[1] not in ("=", "!=", "=~", "!~"):
                    raise ParseError(f"expected a label matcher operator at offset {op[2]}, found {op[1]!r}")
                val = self.expect("string")
                node.matchers.append((lt[1], op[1], _unquote(val[1])))
                if self.at("punct", ","):
                    self.next()
                elif not self.at("punct", "}"):
                    t = self.peek()
                    raise ParseError(f"expected ',' or '}}' at offset {t[2]}, found {t[1]!r}")
            self.next()
        if name is None and not node.matchers:
            raise ParseError("vector selector must contain a metric name or a label matcher")
        if name is None:
            for label, op, value in node.matchers:
                if label == "__name__" and op == "=":
                    node.name = value
        return node


def parse(text):
    """Parses a PromQL expression (Grafana variables allowed) into a Node tree."""
    return _Parser(text).parse()


def walk(node, parents=()):
    """Yields (node, parents) depth first; parents is the tuple of ancestors, outermost first."""
    yield node, parents
    for child in node.args:
        yield from walk(child, parents + (node,))


def selectors(node):
    """(vector selector node, parents) pairs."""
    return [(n, p) for n, p in walk(node) if n.kind == "vector"]


_VAR = re.compile(r"\$\{([A-Za-z0-9_.]+)(?::[A-Za-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_.]+)\]\]")


def variables_in(text):
    return {next(g for g in m.groups() if g) for m in _VAR.finditer(text)}


def substitute(text, values):
    """Replaces Grafana variables by values[name]; raises KeyError naming an unknown variable."""
    def repl(m):
        name = next(g for g in m.groups() if g)
        if name not in values:
            raise KeyError(name)
        return values[name]
    return _VAR.sub(repl, text)
