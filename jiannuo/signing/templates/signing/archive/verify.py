#!/usr/bin/env python3
"""Check a Jiannuo records transfer (档案移交) offline: Python 3 standard library only.

    python3 verify.py                  # the zip this script came in, or the folder it is in
    python3 verify.py 柳树村-2026.zip  # a zip
    python3 verify.py 柳树村-2026/     # an unpacked folder

Every file listed in manifest.json is read and its SHA-256 compared with the manifest. The
script says which files were altered, which are missing and which were added, and prints the
manifest's own SHA-256: compare it with the one recorded when the transfer was made (the export
receipt and the system's audit log, entry "archive.export") to know the manifest itself is the
one issued. Exit status 0 when everything matches, 1 otherwise.
"""

import hashlib
import json
import os
import sys
import zipfile

MANIFEST = "manifest.json"
#: Files that describe the transfer and are not listed in its manifest.
SELF = {MANIFEST, "verify.py", "README.txt"}


class Folder:
    def __init__(self, root):
        self.root = root

    def names(self):
        out = []
        for base, _dirs, files in os.walk(self.root):
            for name in files:
                rel = os.path.relpath(os.path.join(base, name), self.root)
                out.append(rel.replace(os.sep, "/"))
        return out

    def read(self, name):
        with open(os.path.join(self.root, *name.split("/")), "rb") as f:
            return f.read()


class Zip:
    def __init__(self, path):
        self.zf = zipfile.ZipFile(path)

    def names(self):
        return [i.filename for i in self.zf.infolist() if not i.is_dir()]

    def read(self, name):
        return self.zf.read(name)


def open_source(arg):
    if os.path.isdir(arg):
        return Folder(arg)
    return Zip(arg)


def check(source):
    """(report lines, ok) for a transfer."""
    lines = []
    try:
        raw = source.read(MANIFEST)
    except (KeyError, OSError):
        return ["FAIL: no manifest.json: this is not a Jiannuo records transfer"], False
    manifest = json.loads(raw.decode("utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    present = set(source.names()) - SELF
    altered, missing = [], []
    for path, entry in sorted(listed.items()):
        if path not in present:
            missing.append(path)
            continue
        data = source.read(path)
        if hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["size"]:
            altered.append(path)
    added = sorted(present - set(listed))
    lines.append("Transfer: {}".format(manifest.get("title", "")))
    lines.append("Made: {} by {}".format(manifest.get("created_at"), manifest.get("created_by")))
    head = manifest.get("audit_head") or {}
    lines.append(
        "Audit chain head at export: #{} {}".format(head.get("last_id"), head.get("last_hash"))
    )
    lines.append(f"manifest.json SHA-256: {hashlib.sha256(raw).hexdigest()}")
    for what, names in (("ALTERED", altered), ("MISSING", missing), ("ADDED", added)):
        for name in names:
            lines.append(f"{what}: {name}")
    ok = not (altered or missing or added)
    if ok:
        lines.append(f"OK: all {len(listed)} files match the manifest.")
    else:
        lines.append(
            f"FAIL: {len(altered)} altered, {len(missing)} missing, {len(added)} added "
            f"(of {len(listed)} listed)."
        )
    return lines, ok


def main(argv):
    if len(argv) > 1:
        target = argv[1]
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        target = here if os.path.isfile(os.path.join(here, MANIFEST)) else None
        if target is None:
            print("usage: python3 verify.py ARCHIVE.zip | FOLDER")
            return 2
    try:
        lines, ok = check(open_source(target))
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        print(f"FAIL: cannot read {target}: {exc}")
        return 1
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
