"""Every Fortran routine is declared once, in src/core/lapack.h, with its
hidden string-length arguments; nothing else in the tree declares one.

    lapack_prototypes.py SOURCE_DIR

Checks, failing with the offending file and routine:
  - each prototype in src/core/lapack.h has one `size_t <name>_length`
    argument per `const char *` argument (gfortran appends one per CHARACTER
    argument), named after it, in the same order, at the end;
  - no other C file or header under src/, tests/, bench/ or fuzz/ declares a
    function whose name ends in '_' (a second prototype could disagree);
  - every call of a routine that takes CHARACTER arguments passes the visible
    arguments plus the lengths (the compiler checks the count against the one
    prototype, but only where lapack.h is included: this checks every file).
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
header = root / "src/core/lapack.h"
problems = []


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def split_arguments(text):
    depth, current, out = 0, "", []
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        out.append(current.strip())
    return out


declaration = re.compile(r"^[ \t]*(?:[A-Z_]+[ \t]+)?(?:extern[ \t]+)?(?:void|int|double|float)[ \t]+"
                         r"([a-z][a-z0-9_]*_)[ \t]*\(([^;{]*)\)[ \t]*;", re.M)
prototypes = {}
for match in declaration.finditer(strip_comments(header.read_text())):
    name, arguments = match.group(1), split_arguments(match.group(2))
    chars = [re.search(r"(\w+)$", a).group(1) for a in arguments if re.match(r"const char \*", a)]
    lengths = [a for a in arguments if a.startswith("size_t ")]
    expected = [f"size_t {c}_length" for c in chars]
    if lengths != expected or (lengths and arguments[-len(lengths):] != expected):
        problems.append(f"src/core/lapack.h: {name}: hidden lengths {lengths}, expected {expected}")
    prototypes[name] = (len(arguments) - len(lengths), len(lengths))
if len(prototypes) < 30:
    problems.append(f"src/core/lapack.h: only {len(prototypes)} prototypes parsed")

call = re.compile(r"\b([a-z][a-z0-9_]*_)\s*\(")
for folder in ("src", "tests", "bench", "fuzz"):
    for path in sorted((root / folder).rglob("*.[ch]")):
        if path == header:
            continue
        text = strip_comments(path.read_text(errors="replace"))
        relative = path.relative_to(root)
        for match in declaration.finditer(text):
            problems.append(f"{relative}: declares {match.group(1)}: use src/core/lapack.h")
        for match in call.finditer(text):
            name = match.group(1)
            if name not in prototypes or prototypes[name][1] == 0:
                continue
            start = match.end()
            depth, end = 1, start
            while depth and end < len(text):
                depth += text[end] == "("
                depth -= text[end] == ")"
                end += 1
            before = text[text.rfind("\n", 0, match.start()) + 1:match.start()]
            if re.search(r"\b(void|int|double)\s*$", before):
                continue  # a definition (the error handlers)
            count = len(split_arguments(text[start:end - 1]))
            visible, hidden = prototypes[name]
            if count != visible + hidden:
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{relative}:{line}: {name} with {count} arguments, "
                                f"expected {visible} + {hidden} hidden lengths")

for problem in problems:
    print("FAIL:", problem)
print(f"{len(prototypes)} prototypes in src/core/lapack.h, {len(problems)} problems")
sys.exit(1 if problems else 0)
