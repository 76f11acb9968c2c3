"""Prints the folder to install the wmark package into, for a prefix.

Usage: site_dir.py PREFIX DEFAULT

DEFAULT is the folder Meson's python module chose. It is kept when the
interpreter running this script searches it. Otherwise the folder is the
interpreter's own site-packages folder that lies under PREFIX: Debian's
Python, for one, searches /usr/local/lib/python3.X/dist-packages, while
Meson (1.0) picks /usr/local/lib/python3/dist-packages for prefix
/usr/local, which no Python searches. When no site folder lies under
PREFIX (a private prefix such as /opt/name), DEFAULT is kept and the user
puts it on PYTHONPATH.
"""

import os
import site
import sys
import sysconfig


def _site_dirs():
    """The site-packages folders the interpreter puts on sys.path, whether
    or not they exist yet on this machine."""
    dirs = list(site.getsitepackages())
    dirs.append(sysconfig.get_path("purelib"))
    return [os.path.normpath(d) for d in dirs]


def _under(path, prefix):
    rel = os.path.relpath(path, prefix)
    return rel != os.curdir and not rel.startswith(os.pardir + os.sep) \
        and rel != os.pardir


def choose(prefix, default):
    prefix = os.path.normpath(prefix)
    default = os.path.normpath(os.path.join(prefix, default))
    dirs = _site_dirs()
    if default in dirs:
        return default
    candidates = [d for d in dirs if _under(d, prefix)]
    preferred = os.path.normpath(sysconfig.get_path("purelib"))
    if preferred in candidates:
        return preferred
    return candidates[0] if candidates else default


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: site_dir.py PREFIX DEFAULT")
    print(choose(sys.argv[1], sys.argv[2]))
