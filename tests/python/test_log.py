"""The library's warnings reach Python's logging, and the environment the
package sets for FFmpeg and SVT-AV1 leaves an application's choice alone."""

import logging
import os
import subprocess
import sys
import textwrap

import numpy as np

import wmark


def test_missing_glyph_warning_reaches_the_wmark_logger(caplog):
    frame = np.zeros((200, 400, 3), np.uint8)

    with caplog.at_level(logging.WARNING, logger="wmark"):
        wmark.mark_image(frame, text="AI \U0010FFFD")

    records = [r for r in caplog.records if r.name == "wmark"]
    assert records, "no warning was logged"
    assert records[-1].levelno == logging.WARNING
    assert "U+10FFFD" in records[-1].getMessage()


def test_a_raising_handler_does_not_break_marking():
    class Broken(logging.Handler):
        def emit(self, record):
            raise RuntimeError("handler failed")

    logger = logging.getLogger("wmark")
    handler = Broken()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        frame = np.zeros((200, 400, 3), np.uint8)
        out = wmark.mark_image(frame, text="AI \U0010FFFE")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    assert out.any()


def run_python(code, env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env=env, capture_output=True, text=True,
                          timeout=120)


def test_environment_defaults_and_application_choice():
    code = """
        import os, wmark
        print(os.environ["WMARK_FFMPEG_LOG"], os.environ["SVT_LOG"])
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("WMARK_FFMPEG_LOG", "SVT_LOG")}
    r = run_python(code, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "1"]

    env.update(WMARK_FFMPEG_LOG="0", SVT_LOG="3")
    r = run_python(code, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "3"]


def test_nothing_printed_without_logging_configured():
    code = """
        import numpy as np, wmark
        wmark.mark_image(np.zeros((200, 400, 3), np.uint8),
                         text="AI \\U0010FFFD")
        print("done")
    """
    r = run_python(code, dict(os.environ))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "done"
    assert "U+10FFFD" not in r.stderr
