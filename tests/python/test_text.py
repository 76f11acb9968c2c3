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


# OpenAI chat completions: an assistant turn that calls tools has content
# None (or "") and tool_calls; the tool results follow as "tool" messages.
CALL = {"id": "call_1", "type": "function",
        "function": {"name": "weather", "arguments": "{}"}}


def count_calls(history):
    return sum(len(m.get("tool_calls") or []) for m in history)


def test_openai_tool_call_not_copied_nor_split():
    pending = [{"role": "user", "content": "weather?"},
               {"role": "assistant", "content": None, "tool_calls": [CALL]}]
    out = wmark.disclose_chat(pending)
    assert out == pending and count_calls(out) == 1

    answered = pending + [
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "assistant", "content": "It is sunny.", "id": "m2"}]
    out = wmark.disclose_chat(answered)
    assert out[:3] == answered[:3]  # call and result stay together
    assert out[3] == {"role": "assistant", "id": "m2",
                      "content": "It is sunny.\n\nAI-generated"}
    assert count_calls(out) == 1 and len(out) == 4


def test_openai_empty_content_calls_and_earlier_answer():
    hist = [{"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": "", "tool_calls": [CALL]},
            {"role": "assistant", "content": None, "name": "bot",
             "function_call": {"name": "weather", "arguments": "{}"}}]
    out = wmark.disclose_chat(hist)
    assert out[3:] == hist[3:] and count_calls(out) == 1
    assert out[1] == {"role": "assistant", "content": "Hello.\n\nAI-generated"}


def test_disclosure_message_copies_nothing_but_role():
    """After an answer without text, the disclosure is a message of its
    own holding role and content only."""
    image_only = {"role": "assistant", "name": "painter", "id": "m7",
                  "tool_calls": [CALL], "refusal": None,
                  "content": [{"type": "image_url",
                               "image_url": {"url": "data:,"}}]}
    out = wmark.disclose_chat([{"role": "user", "content": "draw"},
                               image_only])
    assert out[1] is image_only
    assert out[2] == {"role": "assistant", "content": "AI-generated"}
    assert count_calls(out) == 1
    assert wmark.disclose_chat(out) == out


def test_gradio_messages_metadata_not_copied():
    """Gradio "messages" histories: dicts from the browser carry metadata
    (a "title" shows the message as a tool log) and options."""
    hist = [{"role": "user", "content": "draw", "metadata": None,
             "options": None},
            {"role": "assistant", "content": {"path": "a.png"},
             "metadata": {"title": "Used tool paint", "id": 3},
             "options": [{"value": "again"}]}]
    out = wmark.disclose_chat(hist)
    assert out[:2] == hist
    assert out[2] == {"role": "assistant", "content": "AI-generated"}
    assert wmark.disclose_chat(out) == out


@dataclasses.dataclass
class GradioChatMessage:
    """The fields of Gradio's ChatMessage (no gradio needed)."""
    content: object
    role: str = "assistant"
    metadata: dict = dataclasses.field(default_factory=dict)
    options: list = dataclasses.field(default_factory=list)


def test_gradio_chat_message_objects_metadata_not_copied():
    answer = GradioChatMessage(content={"path": "a.png"},
                               metadata={"title": "Used tool paint"},
                               options=[{"value": "again"}])
    out = wmark.disclose_chat([GradioChatMessage("draw", "user"), answer])
    assert out[1] is answer and len(out) == 3
    added = out[2]
    assert type(added) is GradioChatMessage
    assert (added.role, added.content) == ("assistant", "AI-generated")
    assert added.metadata == {} and added.options == []
    assert wmark.disclose_chat(out) == out


def test_message_object_without_keyword_constructor():
    class Msg:
        def __init__(self, role, content, extra):
            self.role, self.content, self.extra = role, content, extra

    out = wmark.disclose_chat([Msg("assistant", {"path": "a.png"}, "x")])
    assert out[1] == {"role": "assistant", "content": "AI-generated"}


def test_answer_without_text_gets_clean_disclosure_message():
    """An OpenAI audio answer (content None, no tool call) is an answer:
    the disclosure follows it, without its audio, id or name."""
    audio = {"role": "assistant", "content": None, "name": "bot",
             "audio": {"id": "audio_1", "transcript": "Hello."}}
    hist = [{"role": "user", "content": "say hi"}, audio]
    out = wmark.disclose_chat(hist)
    assert out[:2] == hist
    assert out[2] == {"role": "assistant", "content": "AI-generated"}
    assert wmark.disclose_chat(out) == out
