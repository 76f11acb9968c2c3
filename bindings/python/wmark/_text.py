"""Text disclosures for chat messages and whole chat histories."""

from __future__ import annotations

import copy
from typing import Any, Optional, Sequence, Tuple, TypeVar, Union

from ._mark import mark_for

T = TypeVar("T")
Text = TypeVar("Text", str, bytes)


def disclose_text(message: Text, **options: Any) -> Text:
    """Adds the disclosure (option ``disclosure``, else ``text``) to a
    message, in the ``text_format`` ("plain", "markdown" or "html") and at
    the ``text_placement`` ("append" or "prepend") given.

    Plain text gets the sentence after a blank line; Markdown an italic
    footnote with Markdown's special characters escaped; HTML a
    ``<p class="ai-disclosure"><small>`` element with the sentence escaped.
    A message that already carries the same disclosure is returned
    unchanged, so disclosing twice adds nothing. ``str`` in, ``str`` out;
    ``bytes`` (UTF-8) in, ``bytes`` out. Invalid UTF-8 (or a lone
    surrogate in a str) raises ``wmark.BadValueError`` naming the byte
    offset.
    """
    if not isinstance(message, (str, bytes)):
        raise TypeError("disclose_text: message must be str or bytes, not "
                        f"{type(message).__name__}")
    return mark_for(options).disclose_text(message)


def _role(msg: Any) -> Optional[str]:
    if isinstance(msg, dict):
        return msg.get("role")
    return getattr(msg, "role", None)


def _content(msg: Any) -> Any:
    if isinstance(msg, dict):
        return msg.get("content")
    return getattr(msg, "content", None)


def _with_content(msg: Any, content: Any) -> Any:
    """A copy of a message (dict or message object) with new content."""
    if isinstance(msg, dict):
        return {**msg, "content": content}
    new = copy.copy(msg)
    setattr(new, "content", content)
    return new


def _field(msg: Any, name: str) -> Any:
    if isinstance(msg, dict):
        return msg.get(name)
    return getattr(msg, name, None)


def _only_calls_tools(msg: Any, content: Any) -> bool:
    """An OpenAI-style assistant message that asks for tool (or function)
    calls and shows no content of its own."""
    empty = content is None or (isinstance(content, (str, list))
                                and len(content) == 0)
    return empty and bool(_field(msg, "tool_calls")
                          or _field(msg, "function_call"))


def _disclosure_message(msg: Any, block: str) -> Any:
    """A message of its own holding the disclosure after msg, of msg's
    role and kind. Nothing else is taken from msg: its tool calls,
    function call, name, id or metadata (a Gradio "title" turns a message
    into a tool log) describe msg, and copied onto the disclosure they
    would repeat a tool call or hide the disclosure in a log."""
    role = _role(msg)
    if isinstance(msg, dict):
        return {"role": role, "content": block}
    try:
        # Message classes such as Gradio's ChatMessage take role and
        # content and give every other field its default.
        return type(msg)(role=role, content=block)
    except Exception:
        return {"role": role, "content": block}


def _is_message(m: Any) -> bool:
    return isinstance(m, dict) and "role" in m or (
        hasattr(m, "role") and hasattr(m, "content"))


def _is_pair(m: Any) -> bool:
    return isinstance(m, (list, tuple)) and len(m) == 2


def is_history(value: Any) -> bool:
    """Whether value looks like a chat history: a non-empty list of
    role/content messages (dicts or message objects) or of
    [user, assistant] pairs of text (or None)."""
    if not isinstance(value, list) or not value:
        return False
    if all(_is_message(m) for m in value):
        return True
    return all(_is_pair(m) and all(x is None or isinstance(x, (str, tuple,
                                                               dict))
                                   for x in m) for m in value)


def _disclose_parts(parts: list, options: dict) -> Optional[list]:
    """OpenAI-style content parts: the last text part gets the disclosure;
    None when there is no text part."""
    for i in range(len(parts) - 1, -1, -1):
        p = parts[i]
        if isinstance(p, dict) and p.get("type") == "text" and isinstance(
                p.get("text"), str):
            new = list(parts)
            new[i] = {**p, "text": disclose_text(p["text"], **options)}
            return new
    return None


def _disclose_messages(history: list, roles: Tuple[str, ...],
                       options: dict) -> list:
    out = list(history)
    for i in range(len(out) - 1, -1, -1):
        msg = out[i]
        if _role(msg) not in roles:
            continue
        content = _content(msg)
        if _only_calls_tools(msg, content):
            # Not an answer; and a message inserted after it would come
            # between the call and the tool results, which the API
            # rejects.
            continue
        if isinstance(content, str):
            out[i] = _with_content(msg, disclose_text(content, **options))
            return out
        if isinstance(content, list):
            parts = _disclose_parts(content, options)
            if parts is not None:
                out[i] = _with_content(msg, parts)
                return out
        # A file or component: the disclosure follows it as a message of
        # its own (which a second pass recognises as already disclosed).
        block = disclose_text("", **options)
        if i + 1 < len(out) and _role(out[i + 1]) == _role(msg) and \
                _content(out[i + 1]) == block:
            return out
        out.insert(i + 1, _disclosure_message(msg, block))
        return out
    return out


def _disclose_pairs(history: list, options: dict) -> list:
    out = list(history)
    for i in range(len(out) - 1, -1, -1):
        user, bot = out[i]
        if bot is None:
            continue
        if isinstance(bot, str):
            out[i] = type(out[i])((user, disclose_text(bot, **options)))
            return out
        block = disclose_text("", **options)
        if i + 1 < len(out) and out[i + 1][1] == block:
            return out
        out.insert(i + 1, type(out[i])((None, block)))
        return out
    return out


History = TypeVar("History", bound=Union[list, tuple])


def disclose_chat(history: History, *, roles: Sequence[str] = ("assistant",),
                  **options: Any) -> History:
    """Adds the disclosure once, at the end of a chat history: to the last
    message whose role is in ``roles``. OpenAI assistant messages that only
    call tools (``tool_calls`` or ``function_call`` with content None or
    empty) are not answers and are passed over.

    ``history`` is a list (or tuple) of role/content messages (dicts such
    as ``{"role": "assistant", "content": "..."}``, or objects with
    ``role`` and ``content`` attributes such as Gradio's ChatMessage), or
    Gradio's older list of ``[user, assistant]`` pairs. A text content is
    disclosed with disclose_text (so a history disclosed twice is
    unchanged); for a list of content parts the last text part is; an
    answer without text (a file, a component, parts without text, content
    None such as an audio answer) is followed by a message holding the
    disclosure alone (role and content only: no tool calls, name, id,
    audio or metadata of the answer are copied). Earlier messages are left
    as they are; the input is not modified, a new list is returned.
    """
    if not isinstance(history, (list, tuple)):
        raise TypeError("disclose_chat: history must be a list of messages")
    items = list(history)
    roles = tuple(roles)
    if all(_is_message(m) for m in items):
        out = _disclose_messages(items, roles, options)
    elif all(_is_pair(m) for m in items):
        out = _disclose_pairs(items, options)
    else:
        raise TypeError("disclose_chat: expected role/content messages or "
                        "[user, assistant] pairs")
    return type(history)(out) if isinstance(history, tuple) else out
