# Differential oracle: runs the reference (python in-toto 1.3.1, with /usr/bin/python3) on a JSON list
# of cases read from stdin and prints one JSON answer per case, in order. A case is one of:
#   {"item", "kind", "rules", "links": {name: {materials, products}}}   (default op "rules")
#       -> verifylib.verify_item_rules; answers {"ok", "queue": sorted queue at the end or at the
#          failing rule, "sizes": queue size after each rule applied, "failedAt", "reason", "error"}
#   {"op": "unpack", "rule": [...]}  -> rulelib.unpack_rule; {"ok": true, "data": {...}} or {"ok": false}
#   {"op": "fnmatch", "pairs": [[pattern, name], ...]} -> {"results": [bool, ...]} (fnmatchcase)
import fnmatch
import json
import sys

from in_toto import rulelib, verifylib
from in_toto.models.link import Link
from in_toto.models.metadata import Metablock


def run_rules(case):
    links = {
        name: Metablock(signed=Link(name=name, materials=l["materials"], products=l["products"]))
        for name, l in case["links"].items()
    }
    initial = sorted(getattr(links[case["item"]].signed, case["kind"]).keys())
    answer = {"ok": True}
    try:
        verifylib.verify_item_rules(case["item"], case["kind"], case["rules"], links)
    except verifylib.RuleVerificationError as e:
        answer = {"ok": False, "error": type(e).__name__}
        answer["reason"] = "disallow" if str(e).startswith("'DISALLOW") else "require"
    except Exception as e:  # anything else (KeyError on odd paths, FormatError): report its class
        answer = {"ok": False, "error": type(e).__name__, "reason": "exception"}
    # RULE_TRACE holds one entry per rule that completed; a failing rule adds none.
    trace = verifylib.RULE_TRACE.get("trace", [])
    answer["sizes"] = [len(t["queue"]) for t in trace]
    answer["queue"] = sorted(trace[-1]["queue"]) if trace else initial
    if not answer["ok"]:
        answer["failedAt"] = len(trace)
    return answer


def unpack(case):
    try:
        return {"ok": True, "data": rulelib.unpack_rule(case["rule"])}
    except Exception as e:
        return {"ok": False, "error": type(e).__name__}


out = []
for case in json.load(sys.stdin):
    op = case.get("op", "rules")
    if op == "unpack":
        out.append(unpack(case))
    elif op == "fnmatch":
        out.append({"results": [fnmatch.fnmatchcase(n, p) for p, n in case["pairs"]]})
    else:
        out.append(run_rules(case))
print(json.dumps(out))
