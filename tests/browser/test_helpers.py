"""The browser helpers catch what they are meant to catch."""

import pytest

from tests.browser.helpers import check_accessibility, has_visible_focus

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Helpers</title>{style}</head>
<body><main><h1>Helpers</h1><a href="#next">Next</a>{extra}</main></body></html>"""


def test_check_accessibility_fails_on_a_critical_violation_and_says_where(page):
    page.set_content(PAGE.format(style="", extra='<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'))

    with pytest.raises(pytest.fail.Exception) as failure:
        check_accessibility(page)

    report = str(failure.value)
    assert "1 serious or critical accessibility violation(s)" in report
    assert "image-alt (critical): Images must have alternative text" in report
    assert "at img: <img" in report


def test_check_accessibility_passes_a_clean_page_and_can_leave_out_a_widget(page):
    page.set_content(PAGE.format(style="", extra='<div id="widget"><img src="data:,"></div>'))

    check_accessibility(page, exclude=("#widget",))


@pytest.mark.parametrize(
    ("style", "visible"),
    [
        ("", True),  # the browser's own focus ring
        ("<style>a:focus { outline: none; }</style>", False),
        ("<style>a:focus { outline: none; background: #ffdd00; }</style>", True),
    ],
)
def test_has_visible_focus_tells_a_hidden_focus_from_a_visible_one(page, style, visible):
    page.set_content(PAGE.format(style=style, extra=""))
    page.keyboard.press("Tab")

    assert has_visible_focus(page.get_by_role("link", name="Next")) is visible
