"""The coverage grid picture: one row per apprentice, one column per KSB, shade = evidence.

A manager reads a team's gaps at a glance from this: a pale column is a KSB
nobody has evidenced; a pale row is an apprentice who needs a conversation.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from bot.ui_text import ui
from knowledge.model import Standard

SHADES = ("#e9ecef", "#c6dbef", "#6baed6", "#08519c")  # none, suggested, one, several
CELL = 14
GAP = 8  # between the K, S and B blocks
NAME_WIDTH = 170
HEADER = 44
PAD = 10
MAX_ROWS = 60
INK = "#212529"


@dataclass(frozen=True)
class GridRow:
    name: str
    strengths: tuple[int, ...]  # per KSB, in the standard's order, each 0..3


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow built without FreeType
        return ImageFont.load_default()


def _columns(standard: Standard) -> list[int]:
    """The x offset of each KSB column, with a gap wherever the kind changes."""
    xs: list[int] = []
    x = PAD + NAME_WIDTH
    previous = ""
    for ksb in standard.ksbs:
        if previous and ksb.kind != previous:
            x += GAP
        xs.append(x)
        x += CELL
        previous = ksb.kind
    return xs


def _vertical(text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> Image.Image:
    box = font.getbbox(text)
    label = Image.new("RGBA", (int(box[2]) + 2, int(box[3]) + 2), (255, 255, 255, 0))
    ImageDraw.Draw(label).text((1, 0), text, fill=INK, font=font)
    return label.rotate(90, expand=True)


@lru_cache(maxsize=8)
def _header(ids: tuple[str, ...], xs: tuple[int, ...], width: int) -> Image.Image:
    """The rotated KSB id labels, drawn once per standard and reused for every picture."""
    strip = Image.new("RGBA", (width, HEADER), (255, 255, 255, 0))
    small = _font(9)
    for x, ksb_id in zip(xs, ids, strict=True):
        label = _vertical(ksb_id, small)
        strip.paste(label, (x + (CELL - label.width) // 2, HEADER - label.height - 2), label)
    return strip


def _fit(text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: int) -> str:
    length = font.getlength(text)
    if length <= width:
        return text
    text = text[:max(int(len(text) * width / length), 1)]  # a close first guess, then trim
    while len(text) > 1 and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def render_grid(standard: Standard, rows: Sequence[GridRow], *, title: str = "") -> bytes:
    """The grid as PNG bytes; more than MAX_ROWS apprentices are summarised in a footnote."""
    shown = list(rows[:MAX_ROWS])
    xs = _columns(standard)
    small, body = _font(9), _font(12)
    width = xs[-1] + CELL + PAD if xs else PAD * 2 + NAME_WIDTH
    top = PAD + (18 if title else 0) + HEADER
    grid_bottom = top + CELL * len(shown)
    height = grid_bottom + 16 + (14 if len(rows) > MAX_ROWS else 0) + CELL + PAD * 2
    image = Image.new("RGB", (max(width, 560), height), "white")
    draw = ImageDraw.Draw(image)
    if title:
        draw.text((PAD, PAD), _fit(title, body, image.width - 2 * PAD), fill=INK, font=body)
    header = _header(tuple(k.id for k in standard.ksbs), tuple(xs), image.width)
    image.paste(header, (0, top - HEADER), header)
    for r, row in enumerate(shown):
        y = top + r * CELL
        draw.text((PAD, y + 1), _fit(row.name, body, NAME_WIDTH - 8), fill=INK, font=body)
        for x, level in zip(xs, row.strengths, strict=False):
            shade = SHADES[min(max(level, 0), len(SHADES) - 1)]
            draw.rectangle((x, y, x + CELL - 2, y + CELL - 2), fill=shade)
    y = grid_bottom + 8
    if len(rows) > MAX_ROWS:
        draw.text((PAD, y), ui("nudge_picture_more", count=len(rows) - MAX_ROWS), fill=INK,
                  font=small)
        y += 14
    x = PAD
    legend = (ui("nudge_legend_none"), ui("nudge_legend_suggested"), ui("nudge_legend_one"),
              ui("nudge_legend_several"))
    for shade, words in zip(SHADES, legend, strict=True):
        draw.rectangle((x, y, x + CELL - 2, y + CELL - 2), fill=shade)
        draw.text((x + CELL + 2, y), words, fill=INK, font=small)
        x += CELL + 8 + int(small.getlength(words))
    out = io.BytesIO()
    # a 32-colour palette keeps the file small (about a quarter) at no extra encoding time
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(out, format="PNG")
    return out.getvalue()
