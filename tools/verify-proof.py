#!/usr/bin/env python3
"""Checks a mamori entry proof offline, independently of mamori's code.

Written from docs/ledger-format.md alone, as an auditor's own tool would be:
it uses the Python standard library and the `openssl` command (OpenSSL 3,
for Ed25519), and nothing from mamori.

    tools/verify-proof.py --public-key ledger.pub.pem proof.json

PROOF.json is the output of `mamori ledger proof` (format
"mamori-entry-proof-v1"); `-` reads it from standard input. The public key is
the operator's Ed25519 ledger key as a PEM SubjectPublicKeyInfo ("-----BEGIN
PUBLIC KEY-----").

Checks, in this order (docs/ledger-format.md, "Checking a proof"):
  1. the proof is well formed (fields, types, hex and base64);
  2. leaf_hash, when present, is SHA-256(0x00 || entry);
  3. the signature of tree_head verifies with the public key;
  4. the consistency proof links root_hash at tree_size to tree_head's root
     (RFC 9162 section 2.1.4.2);
  5. the inclusion proof links the entry's leaf hash, at index, to root_hash
     (RFC 9162 section 2.1.3.2);
  6. tree_size_head, when present, has tree_size and root_hash of the proof
     and a signature that verifies;
  7. each head's "timestamp" text, when present, is its timestamp_us.

Exit status: 0 and "valid" on standard output when every check passes; 4
and one line "invalid: REASON" on standard error when the proof is malformed
or a check fails; 2 for a usage problem (bad arguments, a file that cannot be
read, a key that is not an Ed25519 public key); 1 when openssl cannot be run.
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

PROOF_FORMAT = "mamori-entry-proof-v1"
TREE_HEAD_LABEL = "mamori-tree-head-v1"
# DER of an Ed25519 SubjectPublicKeyInfo up to the 32 key bytes (RFC 8410).
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
MAX_UINT64 = (1 << 64) - 1
MIN_INT64 = -(1 << 63)
MAX_INT64 = (1 << 63) - 1

EXIT_VALID = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INVALID = 4


class Invalid(Exception):
    """The proof is not valid; the message is the one-line reason."""


class UsageError(Exception):
    """The command line or an input file cannot be used."""


class EnvironmentProblem(Exception):
    """A tool this check needs (openssl) failed."""


# --- RFC 6962 / RFC 9162 hashing -------------------------------------------


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(entry):
    """SHA-256(0x00 || entry): the leaf of one entry's exact bytes."""
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    """SHA-256(0x01 || left || right): an interior node."""
    return sha256(b"\x01" + left + right)


EMPTY_TREE_ROOT = sha256(b"")


def verify_inclusion(leaf, index, tree_size, path, root):
    """RFC 9162 section 2.1.3.2: is `leaf` leaf `index` of the tree of
    `tree_size` leaves whose root is `root`?"""
    if index >= tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size, new_size, old_root, new_root, path):
    """RFC 9162 section 2.1.4.2: does the tree of `new_size` leaves with root
    `new_root` extend the tree of `old_size` leaves with root `old_root`?

    The RFC defines the check for 0 < old_size < new_size. Equal sizes need
    an empty proof and equal roots; growth from the empty tree needs an empty
    proof and old_root == SHA-256("")."""
    if old_size > new_size:
        return False
    if old_size == 0 and old_root != EMPTY_TREE_ROOT:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path
    if not path:
        return False
    path = list(path)
    # A complete old tree is a node of the new one: its hash starts the walk.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- Tree heads ------------------------------------------------------------


def tree_head_message(tree_size, timestamp_us, root):
    """The exact bytes a tree head's Ed25519 signature covers."""
    return "{}\n{}\n{}\n{}\n".format(TREE_HEAD_LABEL, tree_size, timestamp_us, root.hex()).encode(
        "ascii"
    )


def format_timestamp_us(timestamp_us):
    """RFC 3339 UTC with six fractional digits, as mamori prints times."""
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    t = epoch + datetime.timedelta(microseconds=timestamp_us)
    return "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:06d}Z".format(
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond
    )


def read_public_key(path):
    """Reads an Ed25519 public key PEM; returns the raw 32-byte key."""
    try:
        with open(path, "rb") as f:
            pem = f.read().decode("ascii")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError("{}: cannot read the public key: {}".format(path, e)) from None
    match = re.search(
        r"-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----", pem
    )
    der = None
    if match:
        try:
            der = base64.b64decode("".join(match.group(1).split()), validate=True)
        except binascii.Error:
            der = None
    if der is None or len(der) != 44 or not der.startswith(ED25519_SPKI_PREFIX):
        raise UsageError("{}: not an Ed25519 public key in PEM form".format(path))
    return der[len(ED25519_SPKI_PREFIX):]


class SignatureChecker:
    """Checks Ed25519 signatures with `openssl pkeyutl -verify -rawin`."""

    def __init__(self, public_key_path, openssl="openssl"):
        self.public_key_path = public_key_path
        self.openssl = openssl

    def verify(self, message, signature):
        with tempfile.TemporaryDirectory(prefix="verify-proof-") as tmp:
            message_path = os.path.join(tmp, "message")
            signature_path = os.path.join(tmp, "signature")
            with open(message_path, "wb") as f:
                f.write(message)
            with open(signature_path, "wb") as f:
                f.write(signature)
            command = [
                self.openssl, "pkeyutl", "-verify", "-pubin", "-inkey", self.public_key_path,
                "-rawin", "-in", message_path, "-sigfile", signature_path,
            ]
            try:
                done = subprocess.run(command, capture_output=True, text=True, check=False)
            except OSError as e:
                raise EnvironmentProblem("cannot run {}: {}".format(self.openssl, e)) from None
        if done.returncode == 0 and "Signature Verified Successfully" in done.stdout:
            return True
        if "Signature Verification Failure" in done.stdout:
            return False
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise EnvironmentProblem(
            "openssl pkeyutl -verify failed (exit {}): {}".format(
                done.returncode, detail[0] if detail else "no message"
            )
        )


# --- Reading the proof -----------------------------------------------------


def _reject_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise Invalid("duplicate key {!r} in the proof".format(key))
        obj[key] = value
    return obj


def _reject_constant(name):
    raise Invalid("{} is not a JSON number".format(name))


def parse_json(text):
    try:
        return json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except ValueError as e:
        raise Invalid("the proof is not JSON: {}".format(e)) from None


def _field(obj, where, name):
    if name not in obj:
        raise Invalid("{}.{}: missing".format(where, name))
    return obj[name]


def _unsigned(obj, where, name):
    value = _field(obj, where, name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_UINT64:
        raise Invalid("{}.{}: expected a non-negative integer".format(where, name))
    return value


def _hash(value, where):
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f]{64}", value):
        raise Invalid("{}: expected a hash of 64 hex digits".format(where))
    return bytes.fromhex(value)


def _hashes(obj, where, name):
    value = _field(obj, where, name)
    if not isinstance(value, list):
        raise Invalid("{}.{}: expected a list of hashes".format(where, name))
    return [_hash(item, "{}.{}[{}]".format(where, name, i)) for i, item in enumerate(value)]


def parse_tree_head(value, where):
    if not isinstance(value, dict):
        raise Invalid("{}: expected an object".format(where))
    head = {"tree_size": _unsigned(value, where, "tree_size")}
    micros = _field(value, where, "timestamp_us")
    if (
        isinstance(micros, bool)
        or not isinstance(micros, int)
        or not MIN_INT64 <= micros <= MAX_INT64
    ):
        raise Invalid("{}.timestamp_us: expected an integer".format(where))
    head["timestamp_us"] = micros
    head["root_hash"] = _hash(_field(value, where, "root_hash"), where + ".root_hash")
    signature = _field(value, where, "signature")
    try:
        decoded = base64.b64decode(signature, validate=True) if isinstance(signature, str) else b""
    except binascii.Error:
        decoded = b""
    if len(decoded) != 64:
        raise Invalid("{}.signature: expected 64 bytes in base64".format(where))
    head["signature"] = decoded
    text = value.get("timestamp")
    if "timestamp" in value and not isinstance(text, str):
        raise Invalid("{}.timestamp: expected a string".format(where))
    head["timestamp"] = text
    return head


def parse_proof(proof):
    if not isinstance(proof, dict):
        raise Invalid("the proof is not a JSON object")
    if proof.get("format") != PROOF_FORMAT:
        raise Invalid('proof.format: expected "{}"'.format(PROOF_FORMAT))
    parsed = {
        "index": _unsigned(proof, "proof", "index"),
        "tree_size": _unsigned(proof, "proof", "tree_size"),
        "root_hash": _hash(_field(proof, "proof", "root_hash"), "proof.root_hash"),
        "inclusion": _hashes(proof, "proof", "inclusion"),
        "consistency": _hashes(proof, "proof", "consistency"),
        "tree_head": parse_tree_head(_field(proof, "proof", "tree_head"), "proof.tree_head"),
        "tree_size_head": None,
        "leaf_hash": None,
    }
    entry = _field(proof, "proof", "entry")
    if not isinstance(entry, str):
        raise Invalid("proof.entry: expected a string")
    try:
        parsed["entry"] = entry.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("proof.entry: not valid Unicode text") from None
    if proof.get("tree_size_head") is not None:
        parsed["tree_size_head"] = parse_tree_head(proof["tree_size_head"], "proof.tree_size_head")
    if proof.get("leaf_hash") is not None:
        parsed["leaf_hash"] = _hash(proof["leaf_hash"], "proof.leaf_hash")
    return parsed


# --- Checking --------------------------------------------------------------


def check_head_signature(head, where, signatures):
    message = tree_head_message(head["tree_size"], head["timestamp_us"], head["root_hash"])
    if not signatures.verify(message, head["signature"]):
        raise Invalid(
            "{} (size {}): the signature does not verify with this public key".format(
                where, head["tree_size"]
            )
        )


def check_proof(proof, signatures):
    """Raises Invalid with the first check that fails; returns on success."""
    p = parse_proof(proof)
    leaf = leaf_hash(p["entry"])
    if p["leaf_hash"] is not None and p["leaf_hash"] != leaf:
        raise Invalid("proof.leaf_hash is not SHA-256(0x00 || entry)")
    head = p["tree_head"]
    check_head_signature(head, "tree_head", signatures)
    if not verify_consistency(
        p["tree_size"], head["tree_size"], p["root_hash"], head["root_hash"], p["consistency"]
    ):
        raise Invalid(
            "the tree of {} entries is not consistent with the signed tree head of {} "
            "entries".format(p["tree_size"], head["tree_size"])
        )
    if not verify_inclusion(leaf, p["index"], p["tree_size"], p["inclusion"], p["root_hash"]):
        raise Invalid(
            "entry {} is not in the tree of {} entries".format(p["index"], p["tree_size"])
        )
    size_head = p["tree_size_head"]
    if size_head is not None:
        if size_head["tree_size"] != p["tree_size"] or size_head["root_hash"] != p["root_hash"]:
            raise Invalid(
                "tree_size_head does not match the tree of {} entries".format(p["tree_size"])
            )
        check_head_signature(size_head, "tree_size_head", signatures)
    for where, h in (("tree_head", head), ("tree_size_head", size_head)):
        if h is not None and h["timestamp"] is not None:
            try:
                expected = format_timestamp_us(h["timestamp_us"])
            except OverflowError:
                raise Invalid("{}.timestamp_us: out of range".format(where)) from None
            if h["timestamp"] != expected:
                raise Invalid(
                    "{}.timestamp {!r} is not its signed timestamp_us ({})".format(
                        where, h["timestamp"], expected
                    )
                )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Check a mamori entry proof (mamori-entry-proof-v1) offline.",
        epilog="Exit status: 0 valid, 4 invalid, 2 usage, 1 openssl could not be run.",
    )
    parser.add_argument("--public-key", required=True, metavar="FILE.pem",
                        help="the operator's Ed25519 ledger public key, PEM")
    parser.add_argument("--openssl", default="openssl", metavar="PATH",
                        help="the openssl command (default: openssl on PATH)")
    parser.add_argument("proof", metavar="PROOF.json", help="the proof; - for standard input")
    args = parser.parse_args(argv)
    try:
        read_public_key(args.public_key)
        try:
            if args.proof == "-":
                text = sys.stdin.buffer.read()
            else:
                with open(args.proof, "rb") as f:
                    text = f.read()
        except OSError as e:
            raise UsageError("{}: cannot read the proof: {}".format(args.proof, e)) from None
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("the proof is not UTF-8 text") from None
        check_proof(parse_json(text), SignatureChecker(args.public_key, args.openssl))
    except Invalid as e:
        print("invalid: {}".format(e), file=sys.stderr)
        return EXIT_INVALID
    except UsageError as e:
        print("verify-proof: {}".format(e), file=sys.stderr)
        return EXIT_USAGE
    except EnvironmentProblem as e:
        print("verify-proof: {}".format(e), file=sys.stderr)
        return EXIT_ERROR
    print("valid")
    return EXIT_VALID


if __name__ == "__main__":
    sys.exit(main())
