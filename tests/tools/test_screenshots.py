"""The README's screenshots are stored as small palette PNGs that still show the page."""

import io

from PIL import Image, ImageDraw

from tools.screenshots import PAGES, SCREENS, small_png


def a_page_screenshot() -> bytes:
    image = Image.new("RGB", (1280, 800), (250, 249, 245))
    draw = ImageDraw.Draw(image)
    for row in range(0, 800, 24):
        draw.text((40, row), "Solar roofs for Calder schools: £50,000.00 to £150,000.00", fill=(20, 60, 40))
    draw.rectangle((900, 100, 1200, 400), fill=(232, 240, 234), outline=(30, 90, 60))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_screenshot_becomes_a_smaller_palette_png_of_the_same_size():
    original = a_page_screenshot()
    small = small_png(original)
    image = Image.open(io.BytesIO(small))
    assert (image.format, image.mode, image.size) == ("PNG", "P", (1280, 800))
    assert len(small) < len(original)
    assert image.convert("RGB").getpixel((1000, 200)) == (232, 240, 234)


def test_each_page_is_taken_on_a_desktop_and_a_phone():
    assert set(SCREENS) == {"desktop", "phone"} and SCREENS["phone"]["viewport"]["width"] == 390
    assert set(PAGES) == {"home", "offer", "dashboard"}
