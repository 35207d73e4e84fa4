#!/usr/bin/python3
# Generates test/fixtures/fnmatch-table.json: (pattern, name, expected) rows from Python's
# fnmatch.fnmatchcase — the matcher the reference's rules use. Run with the Python that in-toto
# uses (Debian 12: Python 3.11). Deterministic (seeded).
import fnmatch, json, random, sys

random.seed(20261125)
ATOMS = ['a', 'b', 'z', '/', '.', '-', '!', '^', ']', '[', '\\', '*', '?', 'é', '😀', 'A', '0', ' ']
PATTERN_ATOMS = ATOMS + ['[a-c]', '[!a]', '[^a]', '[]a]', '[!]a]', '[a-]', '[-a]', '[z-a]', '[bz-a]', '[a-cx-z]', '[!a-c]', '[\\]', '[]', '[!]', '[]-]', '[a--]', '**', '[*]', '[?]', '[.]', '[😀-😂]', '[é]']
rows = []
fixed = [
    ('*.py', 'a/b/c.py'), ('*.py', '.py'), ('a?b', 'a/b'), ('a*b', 'a/b'), ('[!a-z]', 'X'), ('[!a-z]', 'a'),
    ('[^a-z]', '^'), ('[^a-z]', 'a'), ('[^a-z]', 'X'), ('[]a]', ']'), ('a\\*b', 'a\\*b'), ('a\\*b', 'a*b'),
    ('[^a-z]*', 'Evil.sh'), ('*', ''), ('', ''), ('?', ''), ('[', '['), ('[a', '[a'), ('demo-project/*', 'demo-project/foo.py'),
]
for p, n in fixed:
    rows.append([p, n, fnmatch.fnmatchcase(n, p)])
for _ in range(6000):
    p = ''.join(random.choice(PATTERN_ATOMS) for _ in range(random.randint(0, 5)))
    if random.random() < 0.5:
        # a name likely to match: expand the pattern's literal characters
        n = ''.join(random.choice(ATOMS) if c in '*?[]!^-' else c for c in p)
    else:
        n = ''.join(random.choice(ATOMS) for _ in range(random.randint(0, 6)))
    rows.append([p, n, fnmatch.fnmatchcase(n, p)])
json.dump({'python': sys.version.split()[0], 'rows': rows}, sys.stdout, ensure_ascii=False)
