"""Finding and loading the library: WMARK_LIBRARY, a clear ImportError,
no FFmpeg, and calls that do not hold the GIL."""

import ctypes
import os
import subprocess
import sys
import textwrap

import pytest

import wmark
from wmark import _lib


def run_python(code, **env):
    full = dict(os.environ)
    full.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env=full, capture_output=True, text=True,
                          timeout=120)


def test_loaded_from_environment():
    assert os.path.samefile(wmark.library_path, os.environ["WMARK_LIBRARY"])
    assert wmark.version() == "0.1.0"


def test_clear_import_error():
    r = run_python("import wmark", WMARK_LIBRARY="/nonexistent/libwm.so")
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "cannot load libwatermark" in r.stderr
    assert "WMARK_LIBRARY" in r.stderr and "/nonexistent/libwm.so" in r.stderr


def package_copy(tmp_path):
    pkg = os.path.dirname(wmark.__file__)
    copy = tmp_path / "wmark"
    copy.mkdir()
    for name in os.listdir(pkg):
        if name.endswith(".py"):
            (copy / name).write_bytes(open(os.path.join(pkg, name),
                                           "rb").read())
    return copy


def without_library_hints(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("WMARK_LIBRARY", "LD_LIBRARY_PATH")}
    env["PYTHONPATH"] = str(tmp_path)
    return env


def loaded_from(tmp_path):
    r = subprocess.run([sys.executable, "-c",
                        "import wmark; print(wmark.library_path)"],
                       env=without_library_hints(tmp_path),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def system_has_library(tmp_path):
    r = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import ctypes, ctypes.util
        try:
            ctypes.CDLL("libwatermark.so.0")
            print("yes")
        except OSError:
            print("yes" if ctypes.util.find_library("watermark") else "no")
        """)], env=without_library_hints(tmp_path), capture_output=True,
        text=True, timeout=60)
    return r.stdout.strip() != "no"


def test_found_beside_the_package(tmp_path):
    copy = package_copy(tmp_path)
    os.symlink(os.path.realpath(os.environ["WMARK_LIBRARY"]),
               copy / "libwatermark.so.0")
    assert loaded_from(tmp_path) == str(copy / "libwatermark.so.0")


def test_found_in_the_configured_libdir(tmp_path):
    # An installed package knows the libdir meson installed the library
    # into, for systems where ldconfig has not run yet.
    if system_has_library(tmp_path):
        pytest.skip("a libwatermark is installed system-wide")
    copy = package_copy(tmp_path)
    libdir = tmp_path / "lib"
    libdir.mkdir()
    os.symlink(os.path.realpath(os.environ["WMARK_LIBRARY"]),
               libdir / "libwatermark.so.0")
    (copy / "_build_config.py").write_text(f"LIBDIR = {str(libdir)!r}\n")
    assert loaded_from(tmp_path) == str(libdir / "libwatermark.so.0")


def test_no_ffmpeg_loaded(png_file):
    # Images and text go through the library without any FFmpeg library
    # being mapped into the process.
    r = run_python(f"""
        import os
        import numpy as np
        import wmark
        wmark.disclose_text("x")
        wmark.mark_image(np.zeros((200, 300, 3), np.uint8))
        out = wmark.mark_file({str(png_file)!r})
        wmark.probe(out)
        wmark.mark_image(open(out, "rb").read())
        os.unlink(out)
        maps = open("/proc/self/maps").read()
        bad = [n for n in ("libavcodec", "libavformat", "libavutil",
                           "libswscale") if n in maps]
        print("loaded:", bad)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "loaded: []"


def test_calls_release_the_gil():
    # A CDLL (not a PyDLL): ctypes drops the GIL around each foreign call.
    assert isinstance(_lib.lib, ctypes.CDLL)
    assert not isinstance(_lib.lib, ctypes.PyDLL)
    assert not _lib.pythonapi_flagged()


def test_error_classes():
    assert issubclass(wmark.NotFoundError, FileNotFoundError)
    assert issubclass(wmark.ExistsError, FileExistsError)
    assert issubclass(wmark.BadValueError, ValueError)
    assert issubclass(wmark.UnknownOptionError, ValueError)
    for status, cls in wmark.ERRORS.items():
        assert cls.status == status and issubclass(cls, wmark.Error)
    assert sorted(wmark.ERRORS) == list(range(1, 15))
