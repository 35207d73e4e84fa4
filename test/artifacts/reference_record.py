# Reads a JSON list of cases on stdin, records each with the reference's record_artifacts_as_dict
# (python in-toto 1.3.1) and prints the results as JSON. Run with /usr/bin/python3.
import json, os, sys
from in_toto import runlib
from in_toto.exceptions import PrefixError

out = []
for case in json.load(sys.stdin):
    cwd = os.getcwd()
    os.chdir(case["cwd"])
    try:
        res = runlib.record_artifacts_as_dict(
            case["paths"], exclude_patterns=case.get("exclude"), base_path=case.get("base_path"),
            follow_symlink_dirs=True, lstrip_paths=case.get("lstrip"),
            normalize_line_endings=case.get("normalize", False))
        out.append({"artifacts": res})
    except Exception as e:  # PrefixError and friends
        out.append({"error": type(e).__name__})
    finally:
        os.chdir(cwd)
print(json.dumps(out))
