"""Every YAML file ntkgram wrote loads with yaml.safe_load, and every value
that is written as a number loads as an int or float (never as a string).

YAML 1.1 readers (PyYAML) load "1e-10" or "1e+20" as strings: a plain
(unquoted) scalar that looks like a number but resolves to a string is the
bug this catches. Quoted scalars are strings on purpose (names, paths).
Also checks the given KEY=TYPE paths (dotted, into the loaded data) hold
numbers of that type, so a section that vanished cannot pass silently.

usage: check_yaml_numbers.py FILE.yaml [--expect KEY.PATH=float|int ...] ...
"""
import re
import sys

import yaml

NUMBER_LIKE = re.compile(
    r"^[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?$|^[-+]?\.?(inf|Inf|INF|nan|NaN|NAN)$")


def plain_strings(node, where, found):
    """Plain scalars that PyYAML resolves to str although they look numeric."""
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.tag == "tag:yaml.org,2002:str" and NUMBER_LIKE.match(node.value):
            found.append("%s line %d: %r loads as a string" % (where, node.start_mark.line + 1, node.value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            plain_strings(item, where, found)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            plain_strings(key, where, found)
            plain_strings(value, where, found)


def count_numbers(data):
    if isinstance(data, bool):
        return 0
    if isinstance(data, (int, float)):
        return 1
    if isinstance(data, dict):
        return sum(count_numbers(v) for v in data.values())
    if isinstance(data, list):
        return sum(count_numbers(v) for v in data)
    return 0


def lookup(data, path):
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return KeyError
        data = data[part]
    return data


def main(argv):
    problems, files, expects = [], [], []
    i = 0
    while i < len(argv):
        if argv[i] == "--expect":
            expects.append((files[-1], argv[i + 1]))
            i += 2
        else:
            files.append(argv[i])
            i += 1
    loaded = {}
    total = 0
    for path in files:
        with open(path) as f:
            text = f.read()
        try:
            loaded[path] = yaml.safe_load(text)
            node = yaml.compose(text)
        except yaml.YAMLError as error:
            problems.append("%s: not YAML: %s" % (path, error))
            continue
        plain_strings(node, path, problems)
        total += count_numbers(loaded[path])
    for path, expect in expects:
        key, kind = expect.split("=")
        value = lookup(loaded.get(path), key)
        wanted = float if kind == "float" else int
        if value is KeyError:
            problems.append("%s: no key %s" % (path, key))
        elif isinstance(value, bool) or not isinstance(value, wanted):
            problems.append("%s: %s = %r is %s, expected %s" % (path, key, value, type(value).__name__, kind))
    for problem in problems:
        print("FAIL:", problem)
    print("%d YAML files, %d numbers, %d problems" % (len(files), total, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
