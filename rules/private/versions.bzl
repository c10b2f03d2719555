"""PEP 440 versions and specifiers in pure Starlark (no Bazel builtins).

Mirrors `packaging.version.Version` ordering and `packaging.specifiers.Specifier`
membership with `prereleases=True` (the way marker evaluation calls it) of
packaging 26; tests/unit/test_starlark_markers.py compares both on generated
inputs. Only ASCII whitespace is stripped around versions and specifiers.
"""

# The ASCII characters Python's `str.strip()` and regex `\s` treat as whitespace.
_WS = " \t\n\r\013\014\034\035\036\037"
_DIGITS = "0123456789"
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_SEPS = "._-"

# Alternatives in the order packaging's regex tries them (longest spelling first).
_PRE_WORDS = ["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]
_PRE_NORMAL = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "preview": "rc", "pre": "rc", "c": "rc", "rc": "rc"}
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_POST_WORDS = ["post", "rev", "r"]

# Operators of `Specifier`, two-character ones first so `<=` wins over `<`.
_SPEC_OPS = ["~=", "==", "!=", "<=", ">=", "<", ">"]

def strip_ws(s):
    """Strips leading and trailing ASCII whitespace, like Python's `str.strip()`.

    Args:
      s: str.
    Returns:
      str
    """
    start = 0
    end = len(s)
    for _ in range(len(s)):
        if start < end and s[start] in _WS:
            start += 1
        else:
            break
    for _ in range(len(s)):
        if end > start and s[end - 1] in _WS:
            end -= 1
        else:
            break
    return s[start:end]

def _run_end(s, i, chars):
    """Index after the run of `chars` that starts at `i`.

    Args:
      s: str.
      i: int, start index.
      chars: str, the allowed characters.
    Returns:
      int, `i` if `s[i]` is not in `chars`.
    """
    for j in range(i, len(s)):
        if s[j] not in chars:
            return j
    return len(s)

def _int(digits):
    """Decimal digits, possibly with leading zeros, to int.

    Args:
      digits: str, non-empty, only `0-9`.
    Returns:
      int
    """
    return int(digits.lstrip("0") or "0")

def _sep(s, i):
    """Skips one optional `[._-]` separator.

    Args:
      s: str.
      i: int.
    Returns:
      int, `i + 1` if a separator is at `i`, else `i`.
    """
    return i + 1 if i < len(s) and s[i] in _SEPS else i

def _word_at(s, i, words):
    """The first of `words` that `s` has at index `i`.

    Args:
      s: str.
      i: int.
      words: list[str], in the order packaging's regex tries them.
    Returns:
      str or None
    """
    for w in words:
        if s[i:i + len(w)] == w:
            return w
    return None

def _number(s, i):
    """An optional number at `i`.

    Args:
      s: str.
      i: int.
    Returns:
      tuple (int, int): the value (0 when absent) and the index after it.
    """
    j = _run_end(s, i, _DIGITS)
    return (_int(s[i:j]) if j > i else 0), j

def _version(epoch, release, pre, post, dev, local):
    """A parsed version: its parts plus the sort key of packaging's `_cmpkey`.

    Args:
      epoch: int.
      release: list[int].
      pre: ["a"|"b"|"rc", int] or None.
      post: int or None.
      dev: int or None.
      local: list[int|str] or None.
    Returns:
      dict with those fields, `trimmed` (release without trailing zeros) and `key`.
    """
    trimmed = list(release)
    for _ in range(len(release)):
        if trimmed and trimmed[-1] == 0:
            trimmed.pop()
    if pre == None and post == None and dev != None:
        pre_key = [-1, 0]
    elif pre == None:
        pre_key = [3, 0]
    else:
        pre_key = [_PRE_RANK[pre[0]], pre[1]]
    suffix = pre_key + [0 if post == None else 1, post or 0, 1 if dev == None else 0, dev or 0]
    key = [epoch, trimmed, suffix]
    if local != None:
        key.append([[seg, ""] if type(seg) == "int" else [-1, seg] for seg in local])
    return {
        "dev": dev,
        "epoch": epoch,
        "key": key,
        "local": local,
        "post": post,
        "pre": pre,
        "release": release,
        "trimmed": trimmed,
    }

def _scan(text, allow_local = True):
    """Parses a PEP 440 version with no surrounding whitespace.

    Args:
      text: str.
      allow_local: bool, whether a `+local` segment is accepted.
    Returns:
      dict from `_version`, or None if `text` is not a valid version.
    """
    s = text.lower()
    n = len(s)
    i = 1 if s[:1] == "v" else 0
    epoch = 0
    j = _run_end(s, i, _DIGITS)
    if j > i and s[j:j + 1] == "!":
        epoch = _int(s[i:j])
        i = j + 1
    release = []
    for _ in range(n + 1):
        j = _run_end(s, i, _DIGITS)
        if j == i:
            return None
        release.append(_int(s[i:j]))
        i = j
        if s[i:i + 1] == "." and _run_end(s, i + 1, _DIGITS) > i + 1:
            i += 1
        else:
            break
    pre = None
    k = _sep(s, i)
    w = _word_at(s, k, _PRE_WORDS)
    if w != None:
        number, i = _number(s, _sep(s, k + len(w)))
        pre = [_PRE_NORMAL[w], number]
    post = None
    if s[i:i + 1] == "-" and _run_end(s, i + 1, _DIGITS) > i + 1:
        post, i = _number(s, i + 1)
    else:
        k = _sep(s, i)
        w = _word_at(s, k, _POST_WORDS)
        if w != None:
            post, i = _number(s, _sep(s, k + len(w)))
    dev = None
    k = _sep(s, i)
    if s[k:k + 3] == "dev":
        dev, i = _number(s, _sep(s, k + 3))
    local = None
    if allow_local and s[i:i + 1] == "+":
        local = []
        for _ in range(n):
            j = _run_end(s, i + 1, _ALNUM)
            if j == i + 1:
                return None
            part = s[i + 1:j]
            local.append(_int(part) if _run_end(part, 0, _DIGITS) == len(part) else part)
            i = j
            if s[i:i + 1] == "" or s[i] not in _SEPS:
                break
    if i != n:
        return None
    return _version(epoch, release, pre, post, dev, local)

def parse_version(s):
    """Parses a PEP 440 version into a key that sorts like `packaging.version.Version`.

    Args:
      s: str, e.g. `"1.0rc1.dev3+local.7"`; case-insensitive, leading `v` and
        surrounding whitespace allowed. Fails if it is not a valid version.
    Returns:
      list, the comparable key `[epoch, release, suffix]` (plus `local` when present).
    """
    v = _scan(strip_ws(s))
    if v == None:
        fail("Invalid version: %r" % s)
    return v["key"]

def compare_versions(a, b):
    """Compares two PEP 440 versions the way `packaging.version.Version` does.

    Args:
      a: str, a valid version.
      b: str, a valid version.
    Returns:
      int, -1 if a < b, 0 if they are equal, 1 if a > b.
    """
    ka = parse_version(a)
    kb = parse_version(b)
    if ka < kb:
        return -1
    return 1 if ka > kb else 0

def parse_specifier(spec):
    """Parses one specifier such as `">=3.8"`, `"==1.1.*"` or `"===foo"`.

    Args:
      spec: str.
    Returns:
      dict with `op` (str), `version` (str as written) and `parsed` (the parsed
      version, None for `===`), or None if packaging would raise `InvalidSpecifier`.
    """
    s = strip_ws(spec)
    if s.startswith("==="):
        version = strip_ws(s[3:])
        for c in version.elems():
            if c in _WS or c in ";)":
                return None
        return {"op": "===", "parsed": None, "version": version}
    op = _word_at(s, 0, _SPEC_OPS)
    if op == None:
        return None
    version = strip_ws(s[len(op):])
    if op in ("==", "!=") and version.endswith(".*"):
        parsed = _scan(version[:-2], allow_local = False)
        if parsed == None or parsed["pre"] != None or parsed["post"] != None or parsed["dev"] != None:
            return None
    else:
        parsed = _scan(version, allow_local = op in ("==", "!="))
        if parsed == None or (op == "~=" and len(parsed["release"]) < 2):
            return None
    return {"op": op, "parsed": parsed, "version": version}

def _dev0(epoch, release):
    """The key of `<epoch>!<release>.dev0`, the least version of a release.

    Args:
      epoch: int.
      release: list[int].
    Returns:
      list, a key as `parse_version` returns.
    """
    return _version(epoch, release, None, None, 0, None)["key"]

def _bump(release):
    """The release with its last component incremented: [1, 2] -> [1, 3].

    Args:
      release: list[int], non-empty.
    Returns:
      list[int]
    """
    return release[:-1] + [release[-1] + 1]

def _matches(spec, v):
    """Whether a parsed version is in a parsed (non-`===`) specifier.

    Args:
      spec: dict from `parse_specifier`.
      v: dict from `_version`.
    Returns:
      bool, the answer of packaging's range engine with `prereleases=True`.
    """
    op = spec["op"]
    s = spec["parsed"]
    key = v["key"]
    if op in ("==", "!="):
        if spec["version"].endswith(".*"):
            found = _dev0(s["epoch"], s["release"]) <= key and key < _dev0(s["epoch"], _bump(s["release"]))
        elif s["local"] != None:
            found = key == s["key"]
        else:
            found = key[:3] == s["key"]
        return found if op == "==" else not found
    if op == "~=":
        return s["key"] <= key and key < _dev0(s["epoch"], _bump(s["release"][:-1]))
    if op == ">=":
        return key >= s["key"]
    if op == "<=":
        return key[:3] <= s["key"]
    if op == "<":
        if s["pre"] == None and s["dev"] == None:
            return key < _version(s["epoch"], s["release"], None, s["post"], 0, None)["key"]
        return key < s["key"]
    if s["dev"] != None:
        return key >= _version(s["epoch"], s["release"], s["pre"], s["post"], s["dev"] + 1, None)["key"]
    if s["post"] != None:
        return key >= _version(s["epoch"], s["release"], s["pre"], s["post"] + 1, 0, None)["key"]
    same_family = v["epoch"] == s["epoch"] and v["trimmed"] == s["trimmed"] and v["pre"] == s["pre"]
    return key > s["key"] and not same_family

def specifier_contains(spec, version):
    """`packaging.specifiers.Specifier(spec).contains(version, prereleases=True)`.

    Args:
      spec: str, one specifier (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`,
        with `==X.*`/`!=X.*` prefix matching). Fails if it is invalid.
      version: str, the candidate; an invalid version matches no standard
        operator, and `===` compares the raw strings case-insensitively.
    Returns:
      bool
    """
    parsed = parse_specifier(spec)
    if parsed == None:
        fail("Invalid specifier: %r" % spec)
    if parsed["op"] == "===":
        return version.lower() == parsed["version"].lower()
    v = _scan(strip_ws(version))
    if v == None:
        return False
    return _matches(parsed, v)
