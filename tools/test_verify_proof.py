"""Tests of tools/verify-proof.py.

The trees here are built independently of the script under test: from the
recursive definitions of RFC 6962 section 2.1 (MTH, PATH, PROOF), where the
script verifies with the iterative algorithms of RFC 9162. Tree heads are
signed with a key made by `openssl genpkey -algorithm ed25519`.

    python3 -m unittest discover -s tools -p 'test_verify_proof.py'

Needs python3 and OpenSSL 3 (`openssl pkeyutl -rawin`).
"""

import base64
import datetime
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(TOOLS_DIR, "verify-proof.py")
DOC = os.path.join(TOOLS_DIR, os.pardir, "docs", "ledger-format.md")


def load_script():
    spec = importlib.util.spec_from_file_location("verify_proof", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vp = load_script()


# --- An independent RFC 6962 tree ------------------------------------------


def sha256(data):
    return hashlib.sha256(data).digest()


def split_point(n):
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """MTH(D[n]) over leaf hashes (RFC 6962 section 2.1)."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m, leaves):
    """PATH(m, D[n]) (RFC 6962 section 2.1.1)."""
    if len(leaves) <= 1:
        return []
    k = split_point(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, complete):
    """SUBPROOF(m, D[n], b) (RFC 6962 section 2.1.2)."""
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = split_point(n)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def consistency(m, leaves):
    """PROOF(m, D[n]); empty for m == 0 and m == n."""
    if m == 0 or m == len(leaves):
        return []
    return subproof(m, leaves, True)


def canonical(entry):
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def rfc3339(micros):
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        microseconds=micros
    )
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Ledger:
    """A small ledger: entry texts, their leaf hashes, signed heads."""

    BASE_US = 1795737600000000  # 2026-11-27T00:00:00Z

    def __init__(self, signer, size):
        self.signer = signer
        self.entries = []
        for seq in range(size):
            self.entries.append(
                canonical(
                    {
                        "at": rfc3339(self.BASE_US + seq * 250000),
                        "kind": "decision",
                        "action": "read",
                        "actor": "act_\u6771\u4eac",  # non-ASCII stays unescaped
                        "subject": "sub_{}".format(seq),
                        "outcome": "allow",
                    }
                )
            )
        self.leaves = [sha256(b"\x00" + e.encode("utf-8")) for e in self.entries]

    def head(self, size, micros=None):
        micros = self.BASE_US + 10_000_000 + size if micros is None else micros
        root = mth(self.leaves[:size])
        message = "mamori-tree-head-v1\n{}\n{}\n{}\n".format(size, micros, root.hex())
        signature = self.signer.sign(message.encode("ascii"))
        return {
            "tree_size": size,
            "timestamp": rfc3339(micros),
            "timestamp_us": micros,
            "root_hash": root.hex(),
            "signature": base64.b64encode(signature).decode("ascii"),
        }

    def proof(self, index, tree_size, head_size, with_size_head=True):
        leaves = self.leaves[:head_size]
        return {
            "format": "mamori-entry-proof-v1",
            "index": index,
            "entry": self.entries[index],
            "leaf_hash": self.leaves[index].hex(),
            "tree_size": tree_size,
            "root_hash": mth(leaves[:tree_size]).hex(),
            "inclusion": [h.hex() for h in path(index, leaves[:tree_size])],
            "consistency": [h.hex() for h in consistency(tree_size, leaves)],
            "tree_head": self.head(head_size),
            "tree_size_head": self.head(tree_size) if with_size_head else None,
        }


class OpensslKey:
    """An Ed25519 key pair made and used by the openssl command."""

    def __init__(self, directory, name):
        self.directory = directory
        self.private = os.path.join(directory, name + ".key.pem")
        self.public = os.path.join(directory, name + ".pub.pem")
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.private],
            check=True, capture_output=True,
        )
        subprocess.run(
            ["openssl", "pkey", "-in", self.private, "-pubout", "-out", self.public],
            check=True, capture_output=True,
        )

    def sign(self, message):
        with tempfile.TemporaryDirectory(dir=self.directory) as tmp:
            message_path = os.path.join(tmp, "message")
            signature_path = os.path.join(tmp, "signature")
            with open(message_path, "wb") as f:
                f.write(message)
            subprocess.run(
                ["openssl", "pkeyutl", "-sign", "-inkey", self.private, "-rawin",
                 "-in", message_path, "-out", signature_path],
                check=True, capture_output=True,
            )
            with open(signature_path, "rb") as f:
                return f.read()


# --- The Merkle algorithms, against the independent tree -------------------


class MerkleTest(unittest.TestCase):
    MAX_SIZE = 20

    @classmethod
    def setUpClass(cls):
        cls.leaves = [sha256(b"\x00" + "entry {}".format(i).encode()) for i in range(cls.MAX_SIZE)]

    def test_hashes_are_rfc6962(self):
        self.assertEqual(
            vp.EMPTY_TREE_ROOT.hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        self.assertEqual(vp.leaf_hash(b"entry 3"), self.leaves[3])
        self.assertEqual(vp.node_hash(self.leaves[0], self.leaves[1]), mth(self.leaves[:2]))

    def test_every_inclusion_proof_verifies_and_any_change_breaks_it(self):
        for n in range(1, self.MAX_SIZE + 1):
            leaves = self.leaves[:n]
            root = mth(leaves)
            for i in range(n):
                p = path(i, leaves)
                with self.subTest(n=n, i=i):
                    self.assertTrue(vp.verify_inclusion(leaves[i], i, n, p, root))
                    self.assertFalse(vp.verify_inclusion(leaves[i], i, n, p, sha256(b"x")))
                    self.assertFalse(vp.verify_inclusion(sha256(b"x"), i, n, p, root))
                    self.assertFalse(vp.verify_inclusion(leaves[i], n, n, p, root))
                    self.assertFalse(vp.verify_inclusion(leaves[i], i, n, p + [root], root))
                    for other in range(n):
                        if other != i:
                            self.assertFalse(vp.verify_inclusion(leaves[i], other, n, p, root))
                    for k in range(len(p)):
                        bad = list(p)
                        bad[k] = sha256(bad[k])
                        self.assertFalse(vp.verify_inclusion(leaves[i], i, n, bad, root))
                        self.assertFalse(vp.verify_inclusion(leaves[i], i, n, p[:k], root))

    def test_every_consistency_proof_verifies_and_any_change_breaks_it(self):
        for n in range(0, self.MAX_SIZE + 1):
            new_root = mth(self.leaves[:n])
            for m in range(0, n + 1):
                old_root = mth(self.leaves[:m])
                p = consistency(m, self.leaves[:n])
                with self.subTest(m=m, n=n):
                    self.assertTrue(vp.verify_consistency(m, n, old_root, new_root, p))
                    self.assertFalse(vp.verify_consistency(m, n, sha256(b"x"), new_root, p))
                    if m > 0:  # every tree extends the empty tree, whatever its root
                        self.assertFalse(vp.verify_consistency(m, n, old_root, sha256(b"x"), p))
                    longer = p + [old_root]
                    self.assertFalse(vp.verify_consistency(m, n, old_root, new_root, longer))
                    for k in range(len(p)):
                        bad = list(p)
                        bad[k] = sha256(bad[k])
                        self.assertFalse(vp.verify_consistency(m, n, old_root, new_root, bad))
                        self.assertFalse(vp.verify_consistency(m, n, old_root, new_root, p[:k]))
                    if 0 < m < n:
                        # A proof between other sizes does not fit.
                        self.assertFalse(vp.verify_consistency(n, m, new_root, old_root, p))
                        if m + 1 < n:
                            self.assertFalse(
                                vp.verify_consistency(
                                    m + 1, n, mth(self.leaves[: m + 1]), new_root, p
                                )
                            )

    def test_tree_head_message(self):
        root = bytes(range(32))
        self.assertEqual(
            vp.tree_head_message(3, 1795737601600000, root),
            b"mamori-tree-head-v1\n3\n1795737601600000\n" + root.hex().encode() + b"\n",
        )

    def test_timestamp_text(self):
        self.assertEqual(vp.format_timestamp_us(1795737601600000), "2026-11-27T00:00:01.600000Z")
        self.assertEqual(vp.format_timestamp_us(0), "1970-01-01T00:00:00.000000Z")


# --- The command, end to end with openssl ----------------------------------


class CommandTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="verify-proof-test-")
        cls.key = OpensslKey(cls.tmp.name, "operator")
        cls.other_key = OpensslKey(cls.tmp.name, "other")
        cls.ledger = Ledger(cls.key, 7)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_script(self, proof, public_key=None, raw=None):
        path = os.path.join(self.tmp.name, "proof.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(raw if raw is not None else json.dumps(proof, indent=2, ensure_ascii=False))
        done = subprocess.run(
            [sys.executable, SCRIPT, "--public-key", public_key or self.key.public, path],
            capture_output=True, text=True,
        )
        return done.returncode, done.stdout, done.stderr

    def assert_valid(self, proof, **kwargs):
        code, out, err = self.run_script(proof, **kwargs)
        self.assertEqual((code, out, err), (0, "valid\n", ""))

    def assert_invalid(self, proof, reason, **kwargs):
        code, out, err = self.run_script(proof, **kwargs)
        self.assertEqual(code, 4, msg=err)
        self.assertEqual(out, "")
        self.assertEqual(err.count("\n"), 1, msg=err)
        self.assertTrue(err.startswith("invalid: "), msg=err)
        self.assertIn(reason, err)

    def test_valid_proofs(self):
        cases = [(0, 7, 7), (6, 7, 7), (3, 4, 7), (4, 5, 7), (0, 1, 7), (2, 3, 3), (5, 6, 7)]
        for index, tree_size, head_size in cases:
            with self.subTest(index=index, tree_size=tree_size, head_size=head_size):
                self.assert_valid(self.ledger.proof(index, tree_size, head_size))

    def test_optional_fields_may_be_absent(self):
        proof = self.ledger.proof(2, 5, 7, with_size_head=False)
        self.assert_valid(proof)
        del proof["tree_size_head"]
        del proof["leaf_hash"]
        del proof["tree_head"]["timestamp"]
        self.assert_valid(proof)

    def test_reads_standard_input(self):
        proof = json.dumps(self.ledger.proof(1, 7, 7))
        done = subprocess.run(
            [sys.executable, SCRIPT, "--public-key", self.key.public, "-"],
            input=proof, capture_output=True, text=True,
        )
        self.assertEqual((done.returncode, done.stdout), (0, "valid\n"), msg=done.stderr)

    def test_key_order_and_hex_case_do_not_matter(self):
        proof = self.ledger.proof(3, 6, 7)
        proof["root_hash"] = proof["root_hash"].upper()
        reordered = dict(reversed(list(proof.items())))
        self.assert_valid(reordered)

    def test_invalid_proofs(self):
        def mutate(change, index=3, tree_size=5, head_size=7):
            proof = self.ledger.proof(index, tree_size, head_size)
            change(proof)
            return proof

        def flip(hex_text):
            return ("0" if hex_text[0] != "0" else "1") + hex_text[1:]

        def set_(path, value):
            def change(proof):
                target = proof
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = value
            return change

        cases = {
            "entry changed": (
                lambda p: p.update(entry=p["entry"].replace("allow", "deny"), leaf_hash=None),
                "entry 3 is not in the tree of 5 entries",
            ),
            "entry whitespace": (
                lambda p: p.update(entry=p["entry"] + " ", leaf_hash=None),
                "entry 3 is not in the tree of 5 entries",
            ),
            "leaf_hash wrong": (
                lambda p: p.update(leaf_hash=flip(p["leaf_hash"])),
                "leaf_hash is not SHA-256(0x00 || entry)",
            ),
            "index changed": (set_(["index"], 2), "entry 2 is not in the tree of 5 entries"),
            "index beyond the tree": (set_(["index"], 5), "entry 5 is not in the tree of 5"),
            "inclusion hash changed": (
                lambda p: p["inclusion"].__setitem__(0, flip(p["inclusion"][0])),
                "entry 3 is not in the tree",
            ),
            "inclusion hash dropped": (
                lambda p: p["inclusion"].pop(),
                "entry 3 is not in the tree",
            ),
            "inclusion hash added": (
                lambda p: p["inclusion"].append(p["root_hash"]),
                "entry 3 is not in the tree",
            ),
            "root_hash changed": (
                lambda p: p.update(root_hash=flip(p["root_hash"])),
                "the tree of 5 entries is not consistent with the signed tree head of 7",
            ),
            "consistency hash changed": (
                lambda p: p["consistency"].__setitem__(0, flip(p["consistency"][0])),
                "is not consistent",
            ),
            "consistency proof empty": (set_(["consistency"], []), "is not consistent"),
            "tree_size changed": (set_(["tree_size"], 6), "is not consistent"),
            "head root changed": (
                lambda p: p["tree_head"].update(root_hash=flip(p["tree_head"]["root_hash"])),
                "tree_head (size 7): the signature does not verify",
            ),
            "head size changed": (
                set_(["tree_head", "tree_size"], 8),
                "tree_head (size 8): the signature does not verify",
            ),
            "head time changed": (
                set_(["tree_head", "timestamp_us"], Ledger.BASE_US),
                "the signature does not verify",
            ),
            "head timestamp text differs": (
                set_(["tree_head", "timestamp"], "2026-11-27T09:00:10.000007+09:00"),
                "tree_head.timestamp",
            ),
            "signature bit flipped": (
                lambda p: p["tree_head"].update(
                    signature=base64.b64encode(
                        bytes([base64.b64decode(p["tree_head"]["signature"])[0] ^ 1])
                        + base64.b64decode(p["tree_head"]["signature"])[1:]
                    ).decode()
                ),
                "the signature does not verify",
            ),
            "tree_size_head of another size": (
                lambda p: p.update(tree_size_head=self.ledger.head(4)),
                "tree_size_head does not match the tree of 5 entries",
            ),
            "tree_size_head signature bad": (
                lambda p: p["tree_size_head"].update(signature=p["tree_head"]["signature"]),
                "tree_size_head (size 5): the signature does not verify",
            ),
            "format": (set_(["format"], "mamori-entry-proof-v2"), "proof.format"),
            "index negative": (set_(["index"], -1), "proof.index"),
            "index boolean": (set_(["index"], True), "proof.index"),
            "index float": (set_(["index"], 3.0), "proof.index"),
            "entry not a string": (set_(["entry"], {"kind": "change"}), "proof.entry"),
            "hash too short": (set_(["root_hash"], "ab" * 31), "proof.root_hash"),
            "hash not hex": (set_(["root_hash"], "zz" * 32), "proof.root_hash"),
            "inclusion not a list": (set_(["inclusion"], "ab" * 32), "proof.inclusion"),
            "signature too short": (
                set_(["tree_head", "signature"], base64.b64encode(b"\0" * 63).decode()),
                "proof.tree_head.signature",
            ),
            "signature not base64": (
                set_(["tree_head", "signature"], "!" * 88),
                "proof.tree_head.signature",
            ),
            "head missing": (lambda p: p.pop("tree_head"), "proof.tree_head: missing"),
            "timestamp_us missing": (
                lambda p: p["tree_head"].pop("timestamp_us"),
                "proof.tree_head.timestamp_us",
            ),
        }
        for name, (change, reason) in cases.items():
            with self.subTest(name):
                self.assert_invalid(mutate(change), reason)

    def test_proof_for_an_entry_not_in_the_signed_tree(self):
        proof = self.ledger.proof(3, 7, 7)
        other = Ledger(self.key, 7)
        other.entries[3] = other.entries[3].replace("allow", "deny")
        proof["entry"] = other.entries[3]
        del proof["leaf_hash"]
        self.assert_invalid(proof, "entry 3 is not in the tree of 7 entries")

    def test_another_key(self):
        self.assert_invalid(
            self.ledger.proof(1, 7, 7),
            "tree_head (size 7): the signature does not verify with this public key",
            public_key=self.other_key.public,
        )

    def test_malformed_json(self):
        self.assert_invalid(None, "the proof is not JSON", raw="{")
        self.assert_invalid(None, "the proof is not a JSON object", raw="[]")
        duplicate = json.dumps(self.ledger.proof(1, 7, 7))[:-1] + ', "index": 2}'
        self.assert_invalid(None, "duplicate key 'index'", raw=duplicate)

    def test_usage_errors(self):
        proof = self.ledger.proof(1, 7, 7)
        code, out, err = self.run_script(proof, public_key=self.key.private)
        self.assertEqual(code, 2, msg=err)
        self.assertIn("not an Ed25519 public key", err)
        code, out, err = self.run_script(proof, public_key=os.path.join(self.tmp.name, "nope"))
        self.assertEqual(code, 2, msg=err)
        done = subprocess.run([sys.executable, SCRIPT, "proof.json"], capture_output=True)
        self.assertEqual(done.returncode, 2)


# --- The worked example of docs/ledger-format.md ---------------------------


class DocumentExampleTest(unittest.TestCase):
    """The example proof and key in the format document verify."""

    def test_document_example_is_valid(self):
        with open(DOC, encoding="utf-8") as f:
            doc = f.read()
        key = re.search(
            r"-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=]+\n-----END PUBLIC KEY-----\n", doc
        )
        blocks = re.findall(r"```json\n(.*?)```", doc, re.S)
        proofs = [b for b in blocks if '"format": "mamori-entry-proof-v1"' in b]
        self.assertIsNotNone(key)
        self.assertEqual(len(proofs), 1, "the document holds one example proof")
        with tempfile.TemporaryDirectory() as tmp:
            key_path = os.path.join(tmp, "example.pub.pem")
            proof_path = os.path.join(tmp, "example-proof.json")
            with open(key_path, "w") as f:
                f.write(key.group(0))
            with open(proof_path, "w") as f:
                f.write(proofs[0])
            done = subprocess.run(
                [sys.executable, SCRIPT, "--public-key", key_path, proof_path],
                capture_output=True, text=True,
            )
        self.assertEqual((done.returncode, done.stdout), (0, "valid\n"), msg=done.stderr)


if __name__ == "__main__":
    unittest.main()
