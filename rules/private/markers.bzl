"""PEP 508 environment markers in pure Starlark (no Bazel builtins).

Mirrors `packaging.markers.Marker(marker).evaluate(env)` of packaging 26, including
its tokenizer (context-sensitive, `\\b` word boundaries), PEP 685 normalization of
`extra`, version comparison for the variables packaging compares as versions (with
its fallback to string comparison when the right-hand side is not a valid
specifier) and its evaluation of every comparison (no short-circuit, so errors are
never hidden). tests/unit/test_starlark_markers.py compares both on generated
markers. Known gaps: `\\ooo`, `\\x`, `\\u`, `\\U` and `\\N{}` escapes in quoted
strings fail here, and only ASCII whitespace is recognised.
"""

load(":versions.bzl", "parse_specifier", "specifier_contains")

# packaging.markers.MARKERS_REQUIRING_VERSION
_VERSION_KEYS = ["implementation_version", "platform_release", "python_full_version", "python_version"]

# packaging.markers.MARKERS_ALLOWING_SET
_SET_KEYS = ["extras", "dependency_groups"]

# The tokenizer's VARIABLE alternatives as (spelling, canonical name), in its order.
_VARIABLES = [
    ("python_version", "python_version"),
    ("python_full_version", "python_full_version"),
    ("os_name", "os_name"),
    ("os.name", "os_name"),
    ("sys_platform", "sys_platform"),
    ("sys.platform", "sys_platform"),
    ("platform_release", "platform_release"),
    ("platform_system", "platform_system"),
    ("platform_version", "platform_version"),
    ("platform.version", "platform_version"),
    ("platform_machine", "platform_machine"),
    ("platform.machine", "platform_machine"),
    ("platform_python_implementation", "platform_python_implementation"),
    ("platform.python_implementation", "platform_python_implementation"),
    ("python_implementation", "platform_python_implementation"),
    ("implementation_name", "implementation_name"),
    ("implementation_version", "implementation_version"),
    ("extras", "extras"),
    ("extra", "extra"),
    ("dependency_groups", "dependency_groups"),
]

# The tokenizer's OP alternatives, in its order.
_OPS = ["===", "==", "~=", "!=", "<=", ">=", "<", ">"]

# Python string-literal escapes that map to one character.
_ESCAPES = {"\\": "\\", "'": "'", "\"": "\"", "n": "\n", "t": "\t", "r": "\r", "a": "\007", "b": "\010", "f": "\014", "v": "\013"}

def canonicalize_name(name):
    """`packaging.utils.canonicalize_name`: lower case, runs of `-_.` become one `-`.

    Unlike PEP 503 tools that trim them, leading and trailing separators stay (as `-`).

    Args:
      name: str.
    Returns:
      str
    """
    value = name.lower().replace("_", "-").replace(".", "-")
    for _ in range(len(value)):
        if "--" not in value:
            break
        value = value.replace("--", "-")
    return value

def _syntax_error(marker, i, expected):
    """Fails like `InvalidMarker`.

    Args:
      marker: str.
      i: int, the column.
      expected: str, what the grammar wanted there.
    Returns:
      Nothing; it always fails.
    """
    fail("Invalid marker %r at column %d: expected %s" % (marker, i, expected))

def _skip_ws(s, i):
    """Skips the tokenizer's WS token, `[ \\t]*`.

    Args:
      s: str.
      i: int.
    Returns:
      int, the index after the run.
    """
    for j in range(i, len(s)):
        if s[j] != " " and s[j] != "\t":
            return j
    return len(s)

def _keyword_at(s, i, word):
    """Whether `word` is at `i`, followed by a regex word boundary (`\\b`).

    Args:
      s: str.
      i: int.
      word: str.
    Returns:
      bool
    """
    end = i + len(word)
    if s[i:end] != word:
        return False
    return end >= len(s) or not (s[end].isalnum() or s[end] == "_")

def _unquote(marker, body, i):
    """`str(ast.literal_eval(quoted))` for the body of a quoted marker string.

    Args:
      marker: str, for error messages.
      body: str, the text between the quotes.
      i: int, the column, for error messages.
    Returns:
      str; fails where literal_eval raises and on escapes needing `chr`.
    """
    if "\000" in body:
        _syntax_error(marker, i, "a quoted string without NUL")
    if "\\" not in body and "\n" not in body and "\r" not in body:
        return body
    out = []
    skip = False
    for k in range(len(body)):
        c = body[k]
        if skip:
            skip = False
        elif c == "\n" or c == "\r":
            _syntax_error(marker, i, "a quoted string on one line")
        elif c != "\\":
            out.append(c)
        else:
            nxt = body[k + 1:k + 2]
            skip = True
            if nxt == "":
                _syntax_error(marker, i, "a terminated quoted string")
            elif nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            elif nxt == "\n":
                pass  # a line continuation
            elif nxt in "01234567xuUN":
                fail("Marker %r: escape \\%s in a quoted string is not supported" % (marker, nxt))
            else:
                out.append(c + nxt)
    return "".join(out)

def _operand(s, i):
    """Reads a VARIABLE or QUOTED_STRING token.

    Args:
      s: str, the marker.
      i: int, where the token starts.
    Returns:
      tuple (["var"|"value", str], int): the operand and the index after it.
    """
    q = s[i:i + 1]
    if q == "'" or q == "\"":
        end = s.find(q, i + 1)
        if end < 0:
            _syntax_error(s, i, "a marker variable or quoted string")
        return ["value", _unquote(s, s[i + 1:end], i)], end + 1
    for spelling, name in _VARIABLES:
        if _keyword_at(s, i, spelling):
            return ["var", name], i + len(spelling)
    return _syntax_error(s, i, "a marker variable or quoted string")

def _operator(s, i):
    """Reads a marker operator token (`in`, `not in` or a comparison).

    Args:
      s: str, the marker.
      i: int, where the token starts.
    Returns:
      tuple (str, int): the operator and the index after it.
    """
    if _keyword_at(s, i, "in"):
        return "in", i + 2
    if _keyword_at(s, i, "not"):
        j = _skip_ws(s, i + 3)
        if j == i + 3 or not _keyword_at(s, j, "in"):
            _syntax_error(s, j, "whitespace and 'in' after 'not'")
        return "not in", j + 2
    for op in _OPS:
        if s[i:i + len(op)] == op:
            return op, i + len(op)
    return _syntax_error(s, i, "a marker operator")

def _lookup(env, key):
    """An environment value, failing like `UndefinedEnvironmentName`.

    Args:
      env: dict.
      key: str.
    Returns:
      str or list[str]
    """
    if key not in env:
        fail("UndefinedEnvironmentName: the marker uses %r, which the environment lacks" % key)
    return env[key]

def _compare(lhs, op, rhs, key):
    """`packaging.markers._eval_op` on normalized operands.

    Args:
      lhs: str.
      op: str.
      rhs: str or list[str].
      key: str, the environment key the comparison is about.
    Returns:
      bool; fails like `UndefinedComparison` for `~=`/`===` on strings.
    """
    if key in _VERSION_KEYS and parse_specifier(op + rhs) != None:
        return specifier_contains(op + rhs, lhs)
    if op == "in":
        return lhs in rhs
    if op == "not in":
        return lhs not in rhs
    if op in ("==", "<=", ">="):
        return lhs == rhs
    if op == "!=":
        return lhs != rhs
    if op in ("<", ">"):
        return False
    fail("UndefinedComparison: undefined %r on %r and %r" % (op, lhs, rhs))

def _evaluate_item(lhs, op, rhs, env):
    """One `lhs op rhs` comparison, with packaging's parse-time `extra` normalization.

    Args:
      lhs: ["var"|"value", str].
      op: str.
      rhs: ["var"|"value", str].
      env: dict, the prepared environment.
    Returns:
      bool
    """
    if lhs == ["var", "extra"] and rhs[0] == "value":
        rhs = ["value", canonicalize_name(rhs[1])]
    elif rhs == ["var", "extra"] and lhs[0] == "value":
        lhs = ["value", canonicalize_name(lhs[1])]
    elif rhs[0] == "var" and rhs[1] in _SET_KEYS and lhs[0] == "value":
        lhs = ["value", canonicalize_name(lhs[1])]

    # Like packaging: a variable on the left is looked up and the right side is
    # taken as written; otherwise the right side (even a string) names the key.
    if lhs[0] == "var":
        key = lhs[1]
        lhs_value = _lookup(env, key)
        rhs_value = rhs[1]
    else:
        key = rhs[1]
        lhs_value = lhs[1]
        rhs_value = _lookup(env, key)
    if type(lhs_value) != "string":
        fail("UndefinedComparison: set-valued marker %r can only be used as `\"<name>\" in %s`" % (key, key))
    if key in _SET_KEYS:
        lhs_value = canonicalize_name(lhs_value)
        if type(rhs_value) == "string":
            rhs_value = canonicalize_name(rhs_value)
        else:
            rhs_value = [canonicalize_name(v) for v in rhs_value]
    return _compare(lhs_value, op, rhs_value, key)

def _any_all(groups):
    """`any(all(g) for g in groups)`: the `or` of the `and`-groups.

    Args:
      groups: list[list[bool]].
    Returns:
      bool
    """
    for group in groups:
        if all(group):
            return True
    return False

def evaluate_marker(marker, env):
    """Evaluates a PEP 508 marker like `packaging.markers.Marker(marker).evaluate(env)`.

    Every comparison is evaluated, as packaging does, so an invalid comparison
    fails even where `and`/`or` would short-circuit it. Syntax errors, missing
    environment keys and undefined comparisons (`~=`/`===` on strings) fail.

    Args:
      marker: str, e.g. `python_version >= "3.8" and (sys_platform == "linux" or extra == "Foo_Bar")`.
      env: dict[str, str | list[str]], the complete environment: the keys of
        `packaging.markers.default_environment()`, optionally `extra` (default
        `""`, normalized here) and the set-valued `extras`/`dependency_groups`
        as lists.
    Returns:
      bool
    """
    env = dict(env)
    extra = env.get("extra")
    env["extra"] = canonicalize_name(extra) if extra else ""
    full = env.get("python_full_version")
    if type(full) == "string" and full.endswith("+"):
        env["python_full_version"] = full + "local"

    s = marker
    stack = [[[]]]  # one frame per open parenthesis; a frame is a list of and-groups
    state = "atom"
    lhs = None
    op = None
    i = 0
    for _ in range(len(s) + 2):
        i = _skip_ws(s, i)
        if state == "atom":
            if s[i:i + 1] == "(":
                stack.append([[]])
                i += 1
                continue
            lhs, i = _operand(s, i)
            state = "op"
        elif state == "op":
            op, i = _operator(s, i)
            state = "rhs"
        elif state == "rhs":
            rhs, i = _operand(s, i)
            stack[-1][-1].append(_evaluate_item(lhs, op, rhs, env))
            state = "end"
        elif i >= len(s):
            if len(stack) != 1:
                _syntax_error(s, i, "')' to close '('")
            return _any_all(stack[0])
        elif s[i] == ")":
            if len(stack) == 1:
                _syntax_error(s, i, "'and', 'or' or the end")
            frame = stack.pop()
            stack[-1][-1].append(_any_all(frame))
            i += 1
        elif _keyword_at(s, i, "or"):
            stack[-1].append([])
            i += 2
            state = "atom"
        elif _keyword_at(s, i, "and"):
            i += 3
            state = "atom"
        else:
            _syntax_error(s, i, "'and', 'or' or the end")
    fail("unreachable: marker %r was not consumed" % s)
