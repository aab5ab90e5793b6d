#!/usr/bin/python3
"""Scales the real conda-forge py39 slice (../shared/data) to a conda-forge-sized channel.

Copy 0 is the slice as it is; copy k >= 1 repeats every linux-64 record under new names
(name "foo" becomes "foo-c<k>", and so do the file name and every depends/constrains entry
naming a linux-64 package), so each copy is a self-contained, solvable universe and
`python=3.9 pip` still solves against copy 0 among all the others. noarch/ is copied as is.

usage: bench/scale_repodata.py OUT_DIR RECORDS   (RECORDS counts linux-64 records)
writes OUT_DIR/linux-64/repodata.json (+ .zst if `zstd` is installed) and OUT_DIR/noarch/.
"""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("KRAIT_SHARED_DIR") or os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared")
SLICE = os.path.join(SHARED, "data", "repodata", "conda-forge-subchannel-py39-20240516")
NAME_RE = re.compile(r"^([^\s=<>!~\[]+)(.*)$", re.S)


def rename_dep(dep, names, suffix):
    m = NAME_RE.match(dep)
    if m and m.group(1) in names:
        return m.group(1) + suffix + m.group(2)
    return dep


def copy_record(rec, names, k, new_fn):
    if k == 0:
        return rec
    suffix = f"-c{k}"
    r = dict(rec)
    r["name"] = rec["name"] + suffix
    if "fn" in rec:
        r["fn"] = new_fn
    for key in ("depends", "constrains"):
        if key in rec:
            r[key] = [rename_dep(d, names, suffix) for d in rec[key]]
    return r


def main():
    out, target = sys.argv[1], int(sys.argv[2])
    src = json.load(open(os.path.join(SLICE, "linux-64", "repodata.json")))
    groups = [k for k in ("packages", "packages.conda") if src.get(k)]
    names = {r["name"] for g in groups for r in src[g].values()}
    per_copy = sum(len(src[g]) for g in groups)
    copies = max(1, -(-target // per_copy))
    os.makedirs(os.path.join(out, "linux-64"), exist_ok=True)
    path = os.path.join(out, "linux-64", "repodata.json")
    written = 0
    with open(path, "w") as f:
        f.write('{"info":' + json.dumps(src.get("info", {"subdir": "linux-64"})) + ',\n')
        for gi, g in enumerate(groups):
            f.write(json.dumps(g) + ":{\n")
            first = True
            for k in range(copies):
                for fn, rec in src[g].items():
                    if written >= target:
                        break
                    new_fn = fn if k == 0 else f"{rec['name']}-c{k}" + fn[len(rec["name"]):]
                    f.write(("" if first else ",\n") + json.dumps(new_fn) + ":" +
                            json.dumps(copy_record(rec, names, k, new_fn), separators=(",", ":")))
                    first = False
                    written += 1
            f.write("}" + (",\n" if gi + 1 < len(groups) else "\n"))
        f.write(',"repodata_version":1}\n')
    if shutil.which("zstd"):
        subprocess.run(["zstd", "-q", "-f", "-T0", "-3", path, "-o", path + ".zst"], check=True)
    nd = os.path.join(out, "noarch")
    os.makedirs(nd, exist_ok=True)
    shutil.copyfile(os.path.join(SLICE, "noarch", "repodata.json"), os.path.join(nd, "repodata.json"))
    print(f"{path}: {written} records, {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
