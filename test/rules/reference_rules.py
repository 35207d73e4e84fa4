# Applies rules with the reference's verify_item_rules (python in-toto 1.3.1) to a JSON list of
# cases on stdin: {item, kind, rules, links: {name: {materials, products}}}; prints per case either
# {"ok": true, "queue": [...]} or {"ok": false, "error": "..."}. Run with /usr/bin/python3.
import json, sys
from in_toto import verifylib
from in_toto.models.link import Link
from in_toto.models.metadata import Metablock

out = []
for case in json.load(sys.stdin):
    links = {name: Metablock(signed=Link(name=name, materials=l["materials"], products=l["products"])) for name, l in case["links"].items()}
    # Capture the final queue by appending a rule that consumes everything left into the trace.
    try:
        verifylib.verify_item_rules(case["item"], case["kind"], case["rules"], links)
        trace = verifylib.RULE_TRACE["trace"]
        queue = sorted(trace[-1]["queue"]) if trace else sorted(getattr(links[case["item"]].signed, case["kind"]).keys())
        out.append({"ok": True, "queue": queue})
    except Exception as e:
        out.append({"ok": False, "error": type(e).__name__})
print(json.dumps(out))
