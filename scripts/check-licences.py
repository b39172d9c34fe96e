#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails if any crate in the dependency graph has a licence that is not
compatible with GPL-3.0-or-later, or declares no licence at all."""
import json
import re
import subprocess
import sys

# Licences that may be combined with GPL-3.0 (FSF list of GPL-compatible licences).
COMPATIBLE = {
    "MIT", "MIT-0", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause", "BSD-3-Clause",
    "ISC", "Zlib", "MPL-2.0", "Unicode-3.0", "Unicode-DFS-2016", "CC0-1.0", "Unlicense", "BSL-1.0",
    "0BSD", "GPL-3.0", "GPL-3.0-only", "GPL-3.0-or-later", "LGPL-2.1-or-later", "LGPL-3.0",
    "LGPL-3.0-only", "LGPL-3.0-or-later", "OpenSSL", "NCSA", "CDLA-Permissive-2.0",
}


def acceptable(expression: str) -> bool:
    """True if some choice offered by the SPDX expression is fully compatible."""
    expression = expression.replace("/", " OR ")
    for choice in re.split(r"\s+OR\s+", expression.replace("(", "").replace(")", "")):
        if all(part.strip() in COMPATIBLE for part in re.split(r"\s+AND\s+", choice)):
            return True
    return False


def main() -> int:
    metadata = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"], check=True, capture_output=True, text=True,
    ).stdout)
    bad = []
    for package in metadata["packages"]:
        licence = package.get("license")
        if not licence or not acceptable(licence):
            bad.append(f"{package['name']} {package['version']}: {licence or 'no licence declared'}")
    for line in bad:
        print("not GPL-3.0-compatible:", line)
    print(f"licences of {len(metadata['packages'])} crates checked, {len(bad)} not compatible")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
