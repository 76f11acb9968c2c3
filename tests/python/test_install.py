"""`meson install` puts the package where the configured interpreter
(/usr/bin/python3, the one the build finds) imports it from, for the
configured prefix.

Each prefix gets a small build of the source tree in a temporary folder
(no tests, benchmarks or video) that installs only the Python files into a
DESTDIR; the result is checked against the interpreter's own view of its
site folders."""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

PYTHON = "/usr/bin/python3"


def _meson():
    meson = shutil.which("meson")
    if meson is None:
        pytest.skip("meson not on PATH")
    return meson


def _source_root():
    root = os.environ.get("WMARK_SOURCE_ROOT")
    if root:
        return pathlib.Path(root)
    return pathlib.Path(__file__).resolve().parents[2]


def _clean_env():
    """The environment without what the test run adds for the library
    (a preloaded sanitizer runtime, PYTHONPATH): Meson, the compilers it
    probes and the interpreter run here as a user runs them."""
    drop = ("PYTHON", "LD_PRELOAD", "ASAN_", "LSAN_", "UBSAN_", "TSAN_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _interpreter(code):
    """Runs code in the interpreter with a clean environment (no
    PYTHONPATH, no user site) and returns its JSON output."""
    return json.loads(_run([PYTHON, "-c", code]))


def _run(args):
    r = subprocess.run(args, capture_output=True, text=True,
                       env=_clean_env(), timeout=240)
    assert r.returncode == 0, f"{args}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def _install(tmp_path, prefix):
    """Configures and installs for prefix; returns the DESTDIR and the
    site folder (without the DESTDIR) that received the package."""
    build = tmp_path / "build"
    dest = tmp_path / "dest"
    meson = _meson()
    _run([meson, "setup", str(build), str(_source_root()),
          "--prefix=" + prefix, "-Dtests=false", "-Dbenchmarks=disabled",
          "-Dvideo=disabled", "-Dpython=true"])
    _run([meson, "install", "-C", str(build), "--no-rebuild", "--tags",
          "python-runtime", "--destdir", str(dest)])
    found = sorted(dest.rglob("wmark/__init__.py"))
    assert len(found) == 1, found
    init = "/" + str(found[0].relative_to(dest))
    return dest, pathlib.PurePosixPath(init).parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """One install per prefix, shared by the tests of this file."""
    done = {}

    def get(prefix):
        if prefix not in done:
            done[prefix] = _install(tmp_path_factory.mktemp("install"),
                                    prefix)
        return done[prefix]
    return get


@pytest.fixture(scope="module")
def site_dirs():
    """The site folders the interpreter puts on sys.path at start-up
    (whether or not they exist on this machine), and its live sys.path."""
    if not os.access(PYTHON, os.X_OK):
        pytest.skip(PYTHON + " not available")
    return _interpreter(
        "import json, site, sys; print(json.dumps("
        "[site.getsitepackages(), sys.path]))")


@pytest.mark.parametrize("prefix", ["/usr/local", "/usr"])
def test_install_lands_on_interpreter_path(installed, site_dirs, prefix):
    dest, site_dir = installed(prefix)
    startup, live = site_dirs

    assert str(site_dir).startswith(prefix + "/"), site_dir
    assert str(site_dir) in [os.path.normpath(d) for d in startup], (
        f"{site_dir} is not one of the interpreter's site folders "
        f"{startup}")
    if os.path.isdir(site_dir):
        assert str(site_dir) in live


def test_installed_package_found_in_site_folder(installed, site_dirs):
    """The interpreter, with only its site folders (moved under DESTDIR)
    on sys.path, finds the installed package in the DESTDIR. (Found, not
    imported: importing loads libwatermark, which is not installed here.)"""
    dest, site_dir = installed("/usr/local")
    startup, _ = site_dirs
    paths = [str(dest) + os.path.normpath(d) for d in startup]
    code = (
        "import importlib.util, json, sys\n"
        "sys.path[:] = [p for p in sys.path if 'packages' not in p] + "
        f"{paths!r}\n"
        "print(json.dumps(importlib.util.find_spec('wmark').origin))\n")
    out = _run([PYTHON, "-S", "-c", code])

    assert json.loads(out) == str(dest) + str(site_dir / "wmark" /
                                              "__init__.py")
    config = dest / str(site_dir / "wmark" / "_build_config.py")[1:]
    assert 'LIBDIR = "/usr/local/' in config.read_text()


def test_whole_package_installed(installed):
    dest, site_dir = installed("/usr/local")
    package = dest / str(site_dir)[1:] / "wmark"
    source = _source_root() / "bindings" / "python" / "wmark"
    want = {p.name for p in source.iterdir()
            if p.suffix == ".py" or p.name == "py.typed"}
    want.add("_build_config.py")
    assert {p.name for p in package.iterdir()} == want
