"""Text disclosures from Python: formats, placement, idempotence, UTF-8
errors, and whole chat histories."""

import dataclasses

import pytest

import wmark


def test_plain_markdown_html():
    assert wmark.disclose_text("Hi.") == "Hi.\n\nAI-generated"
    assert wmark.disclose_text("Hi.", text_format="markdown") == \
        "Hi.\n\n_AI-generated_"
    assert wmark.disclose_text("<p>Hi</p>", text_format="html",
                               disclosure="A & B") == \
        '<p>Hi</p>\n<p class="ai-disclosure"><small>A &amp; B</small></p>'


def test_prepend_and_markdown_escaping():
    out = wmark.disclose_text("Answer", text_placement="prepend",
                              text_format="markdown", text="*AI* [bot]")
    assert out == "_\\*AI\\* \\[bot\\]_\n\nAnswer"


def test_idempotent_and_bytes():
    once = wmark.disclose_text("Grüße 日本", text="KI-generiert")
    assert once.endswith("\n\nKI-generiert")
    assert wmark.disclose_text(once, text="KI-generiert") == once
    raw = wmark.disclose_text("Grüße".encode(), text="KI")
    assert raw == "Grüße\n\nKI".encode()


def test_invalid_utf8_names_offset():
    with pytest.raises(wmark.BadValueError) as e:
        wmark.disclose_text(b"abc\xffdef")
    assert "byte 3" in str(e.value)
    assert e.value.status == 8 and isinstance(e.value, ValueError)
    # A lone surrogate cannot be UTF-8 either.
    with pytest.raises(ValueError, match="byte 2"):
        wmark.disclose_text("ab\ud800")


def test_type_checked():
    with pytest.raises(TypeError):
        wmark.disclose_text(42)


def test_chat_messages_once_at_end():
    history = [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "first"},
        {"role": "user", "content": "more"},
        {"role": "assistant", "content": "second", "metadata": {"x": 1}},
        {"role": "user", "content": "thanks"},
    ]
    snapshot = [dict(m) for m in history]
    out = wmark.disclose_chat(history, text_format="markdown")
    assert history == snapshot  # the input is not modified
    assert out[4] == {"role": "assistant",
                      "content": "second\n\n_AI-generated_",
                      "metadata": {"x": 1}}
    assert [m for i, m in enumerate(out) if i != 4] == \
        [m for i, m in enumerate(history) if i != 4]
    assert "".join(m["content"] for m in out).count("AI-generated") == 1
    assert wmark.disclose_chat(out, text_format="markdown") == out


def test_chat_pairs_and_tuple_history():
    pairs = [["hi", "hello"], ("and?", "more"), ["last", None]]
    out = wmark.disclose_chat(pairs)
    assert out[1] == ("and?", "more\n\nAI-generated")
    assert isinstance(out[1], tuple) and out[0] == ["hi", "hello"]
    assert out[2] == ["last", None]
    hist = tuple({"role": r, "content": c}
                 for r, c in [("user", "q"), ("assistant", "a")])
    out = wmark.disclose_chat(hist)
    assert isinstance(out, tuple) and out[1]["content"].endswith(
        "AI-generated")


@dataclasses.dataclass
class ChatMessage:
    role: str
    content: object


def test_chat_objects_parts_and_files():
    msgs = [ChatMessage("user", "q"), ChatMessage("assistant", "a")]
    out = wmark.disclose_chat(msgs)
    assert out[1].content == "a\n\nAI-generated" and msgs[1].content == "a"

    parts = [{"role": "assistant", "content": [
        {"type": "text", "text": "look"}, {"type": "image_url"}]}]
    out = wmark.disclose_chat(parts)
    assert out[0]["content"][0]["text"] == "look\n\nAI-generated"

    files = [{"role": "assistant", "content": {"path": "a.png"}}]
    out = wmark.disclose_chat(files)
    assert out == files + [{"role": "assistant", "content": "AI-generated"}]
    assert wmark.disclose_chat(out) == out

    pairs = [["draw", ("a.png",)]]
    out = wmark.disclose_chat(pairs)
    assert out == pairs + [[None, "AI-generated"]]
    assert wmark.disclose_chat(out) == out


def test_chat_without_assistant_and_custom_roles():
    hist = [{"role": "user", "content": "q"}]
    assert wmark.disclose_chat(hist) == hist
    hist = [{"role": "model", "content": "a"}]
    assert wmark.disclose_chat(hist, roles=("model",))[0]["content"] == \
        "a\n\nAI-generated"
    with pytest.raises(TypeError):
        wmark.disclose_chat("not a history")
