#!/usr/bin/env bash
# Seeds the fuzz corpus of the `parse` target with every query of shared/corpus (the Defender
# hunting queries and the KQL documentation's examples), one file per query, named by a hash of
# its text. Run from anywhere; then `cargo +nightly fuzz run parse` from the project root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="${1:-$here/../../shared/corpus}"
out="$here/corpus/parse"
mkdir -p "$out"
python3 - "$out" "$corpus"/defender-hunting-queries.jsonl "$corpus"/kql-doc-examples.jsonl <<'PY'
import hashlib, json, pathlib, sys
out = pathlib.Path(sys.argv[1])
count = 0
for name in sys.argv[2:]:
    with open(name, encoding="utf-8") as lines:  # a missing corpus file stops the script
        for line in lines:
            if line.strip():
                data = json.loads(line)["query"].encode("utf-8")
                (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
                count += 1
print(f"{count} queries written to {out}")
PY
