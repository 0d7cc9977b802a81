#!/usr/bin/env python3
"""Re-extract the Chinese catalogue and fill it from JSON files of translations.

Usage: .venv/bin/python scripts/translate.py [zh.json ...]

Each JSON file maps an English msgid to its Chinese msgstr (a list of forms for a plural
entry). The catalogue is shared by every app, so the whole run holds a lock: several people
(or sessions) may run it at once safely. Prints the entries still untranslated.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "jiannuo/locale/zh_Hans/LC_MESSAGES/django.po"
LOCK = Path(tempfile.gettempdir()) / "jiannuo-po.lock"


def main(paths: list[str]) -> int:
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "messages"], cwd=ROOT, check=True)
        table: dict = {}
        for p in paths:
            table.update(json.loads(Path(p).read_text(encoding="utf-8")))
        po = polib.pofile(str(PO), wrapwidth=100)
        for entry in po:
            value = table.get(entry.msgid)
            if value is None:
                continue
            if entry.msgid_plural:
                forms = value if isinstance(value, list) else [value]
                entry.msgstr_plural = {i: f for i, f in enumerate(forms)}
            else:
                entry.msgstr = value if isinstance(value, str) else value[0]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        po.save()
        subprocess.run(["make", "-s", "messages"], cwd=ROOT, check=True)
        missing = [
            e.msgid
            for e in polib.pofile(str(PO))
            if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
        ]
    for m in missing:
        print("untranslated:", m)
    print(f"{len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
