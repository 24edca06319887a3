"""Draw the addon's Apps icon: epicentr_connector/static/description/icon.png (128×128).

    $VENV/bin/python tools/make_icon.py

An orange rounded square (Epicentr's orange) with a white «Е» and two arrows (orders coming
in, statuses going back), drawn with shapes only (no font) at 4× and scaled down smoothly.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "epicentr_connector/static/description/icon.png"
SIZE = 128
SCALE = 4  # draw big, then downsample: smooth edges without anti-aliasing support in ImageDraw
ORANGE_TOP, ORANGE_BOTTOM = (247, 124, 48), (230, 84, 20)
WHITE = (255, 255, 255, 255)


def main():
    s = SIZE * SCALE
    # Background: a vertical gradient clipped to a rounded square.
    gradient = Image.new("RGBA", (s, s))
    pixels = ImageDraw.Draw(gradient)
    for y in range(s):
        t = y / (s - 1)
        pixels.line(
            [(0, y), (s, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(ORANGE_TOP, ORANGE_BOTTOM)) + (255,)
        )
    mask = Image.new("L", (s, s), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, s - 1, s - 1], radius=28 * SCALE, fill=255)
    icon = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    icon.paste(gradient, (0, 0), mask)
    draw = ImageDraw.Draw(icon)

    def box(x0, y0, x1, y1, r=3):  # coordinates on the 128 grid
        draw.rounded_rectangle([x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE], radius=r * SCALE, fill=WHITE)

    # The letter «Е»: a stem and three bars.
    box(30, 28, 44, 100)
    box(30, 28, 78, 41)
    box(30, 57, 72, 70)
    box(30, 87, 78, 100)

    # Two arrows on the right: in (pointing left) above, out (pointing right) below.
    def arrow(y, to_right):
        x0, x1, half = 85, 109, 8
        box(x0 + (0 if to_right else 9), y - 3.5, x1 - (9 if to_right else 0), y + 3.5, r=2)
        tip, back = (x1, x1 - 13) if to_right else (x0, x0 + 13)
        draw.polygon(
            [(tip * SCALE, y * SCALE), (back * SCALE, (y - half) * SCALE), (back * SCALE, (y + half) * SCALE)],
            fill=WHITE,
        )

    arrow(48, to_right=False)
    arrow(80, to_right=True)

    icon.resize((SIZE, SIZE), Image.LANCZOS).save(OUT, optimize=True)
    print(f"{OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
