"""Signs with every scheme via pyca cryptography, or verifies via securesystemslib (the reference's
own verify_signature); for DSSE envelopes builds the PAE itself (ITE-5 / DSSE v1), independently of
the code under test. Reads a JSON request on stdin, writes a JSON answer on stdout.
Run with /usr/bin/python3 (the Debian python that has the in-toto libraries)."""
import base64
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from securesystemslib import keys

HASHES = {"sha224": hashes.SHA224, "sha256": hashes.SHA256,
          "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def spki(private):
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign_all(data):
    out = []
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = spki(key)
    for h in HASHES:
        salts = {"digest": padding.PSS.DIGEST_LENGTH, "max": padding.PSS.MAX_LENGTH, "zero": 0, "20": 20}
        for label, salt in salts.items():
            sig = key.sign(data, padding.PSS(mgf=padding.MGF1(HASHES[h]()), salt_length=salt), HASHES[h]())
            out.append({"keytype": "rsa", "scheme": "rsassa-pss-" + h, "salt": label, "public": pub, "sig": sig.hex()})
        sig = key.sign(data, padding.PKCS1v15(), HASHES[h]())
        out.append({"keytype": "rsa", "scheme": "rsa-pkcs1v15-" + h, "public": pub, "sig": sig.hex()})
    for curve, scheme, h in ((ec.SECP256R1(), "ecdsa-sha2-nistp256", "sha256"),
                             (ec.SECP384R1(), "ecdsa-sha2-nistp384", "sha384")):
        key = ec.generate_private_key(curve)
        sig = key.sign(data, ec.ECDSA(HASHES[h]()))
        out.append({"keytype": "ecdsa", "scheme": scheme, "public": spki(key), "sig": sig.hex()})
    key = ed25519.Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    out.append({"keytype": "ed25519", "scheme": "ed25519", "public": raw.hex(), "sig": key.sign(data).hex()})
    return out


def verify_all(items):
    results = []
    for item in items:
        key = {"keytype": item["keytype"], "scheme": item["scheme"], "keyid": "ab" * 32,
               "keyid_hash_algorithms": ["sha256", "sha512"], "keyval": {"public": item["public"]}}
        try:
            ok = keys.verify_signature(key, {"keyid": "ab" * 32, "sig": item["sig"]}, bytes.fromhex(item["data"]))
        except Exception as err:  # a malformed signature raises in the reference
            ok = "error: " + type(err).__name__ + ": " + str(err)
        results.append(ok)
    return results


def pae(payload_type, body):
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(body), body)


def verify_dsse(items):
    """For each {envelope (file text), key}: whether every signature verifies over the PAE."""
    results = []
    for item in items:
        env = json.loads(item["envelope"])
        body = base64.b64decode(env["payload"], validate=True)
        data = pae(env["payloadType"], body)
        oks = []
        for sig in env["signatures"]:
            entry = {"keyid": "ab" * 32, "sig": base64.b64decode(sig["sig"], validate=True).hex()}
            key = dict(item["key"], keyid="ab" * 32, keyid_hash_algorithms=["sha256", "sha512"])
            try:
                oks.append(keys.verify_signature(key, entry, data))
            except Exception as err:  # pylint: disable=broad-except
                oks.append("error: " + type(err).__name__ + ": " + str(err))
        results.append({"ok": oks, "payload": json.loads(body.decode("utf-8"))["_type"]})
    return results


request = json.load(sys.stdin)
if request["op"] == "sign":
    json.dump(sign_all(bytes.fromhex(request["data"])), sys.stdout)
elif request["op"] == "verify-dsse":
    json.dump(verify_dsse(request["items"]), sys.stdout)
else:
    json.dump(verify_all(request["items"]), sys.stdout)
