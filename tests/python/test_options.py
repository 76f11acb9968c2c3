"""Options as keyword arguments: names and values checked by the C
generic setter, conversions, the generated reference, the mark cache."""

import pathlib

import pytest

import wmark
from wmark import _mark


def test_unknown_name_is_value_error_with_c_message():
    with pytest.raises(ValueError) as e:
        wmark.Mark(opacityy=0.5)
    assert isinstance(e.value, wmark.UnknownOptionError)
    assert e.value.status == 7
    assert "unknown option 'opacityy'" in str(e.value)


@pytest.mark.parametrize("name,value,words", [
    ("opacity", 1.5, "opacity"),
    ("position", "middle", "position"),
    ("color", "#12345", "color"),
    ("size", "5 furlongs", "size"),
    ("quality", 101, "quality"),
])
def test_bad_values(name, value, words):
    with pytest.raises(wmark.BadValueError) as e:
        wmark.Mark(**{name: value})
    assert e.value.status == 8 and words in e.value.message


def test_values_converted():
    m = wmark.Mark(box=True, opacity=0.25, outline_width=0.1,
                   color=(255, 0, 0, 128), position="top-left",
                   size="5%", qr_module=3, font=pathlib.Path(""))
    assert m.get("box") == "true"
    assert float(m.get("opacity")) == 0.25
    assert float(m.get("outline-width")) == 0.1
    assert m.get("color").lower() == "#ff000080"
    assert m.get("position") == "top-left"
    assert m.get("size") == "5%"
    assert m.get("qr_module") == "3"


def test_none_means_default():
    assert wmark.Mark(opacity=None).get("opacity") == \
        wmark.OPTIONS["opacity"].default


def test_reference_from_table():
    names = [o.name for o in wmark.OPTIONS.values()]
    assert "outline_width" in names and "text_format" in names
    for o in wmark.OPTIONS.values():
        assert f"    {o.name} ({o.type}" in wmark.mark_image.__doc__
        assert o.help.split()[0] in wmark.option_reference()
    assert "one of plain, markdown, html" in wmark.disclose_text.__doc__


def test_mark_cache_reuses_marks():
    wmark.clear_cache()
    a = _mark.mark_for({"opacity": 0.5, "position": "top"})
    b = _mark.mark_for({"position": "top", "opacity": 0.5})
    c = _mark.mark_for({"opacity": 0.5, "position": "top", "box": None})
    assert a is b is c
    assert _mark.mark_for({"opacity": 0.6}) is not a
    for i in range(40):
        _mark.mark_for({"margin": i})
    assert len(_mark._cache) <= _mark._CACHE_SIZE
    # An evicted mark still in use keeps working.
    assert a.get("opacity") == "0.5"


def test_mark_immutable_and_closed():
    m = wmark.Mark()
    m.close()
    with pytest.raises(ValueError, match="after close"):
        m.get("text")
    with wmark.Mark(text="x") as m2:
        assert m2.get("text") == "x"
