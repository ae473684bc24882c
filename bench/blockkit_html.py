"""Block Kit payloads as HTML that looks like Slack's desktop client, for the doc screenshots.

Only what the coach sends is drawn (header, section with an accessory button,
context, actions with default/primary/danger buttons, divider, image), each the
way Slack lays it out: mrkdwn's *bold*, _italic_, ~strike~, `code`, quotes and
<url|label> links, buttons in a wrapping row, context in small grey type.
Nothing is invented: every word and button comes from the payload given.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

CSS = """
body { margin: 0; background: #fff; font-family: "DejaVu Sans", Lato, "Helvetica Neue", Arial, sans-serif;
       font-size: 15px; line-height: 1.46668; color: #1d1c1d; -webkit-font-smoothing: antialiased; }
.frame { width: 760px; padding: 8px 0 16px; }
.channel { padding: 10px 20px; border-bottom: 1px solid #e8e8e8; font-weight: 900; font-size: 18px; }
.msg { display: flex; padding: 8px 20px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; flex: none; margin-right: 8px; color: #fff;
          font-weight: 900; font-size: 15px; display: flex; align-items: center; justify-content: center; }
.bot { background: #08519c; } .human { background: #e8912d; }
.who { font-weight: 900; } .app { font-size: 10px; font-weight: 700; background: #e8e8e8; color: #616061;
       border-radius: 2px; padding: 1px 3px; margin-left: 4px; vertical-align: 2px; }
.time { color: #616061; font-size: 12px; margin-left: 6px; }
.body { flex: 1; min-width: 0; }
.block { margin: 4px 0; }
.header { font-size: 18px; font-weight: 900; margin: 8px 0 4px; }
.section { display: flex; gap: 12px; } .section .text { flex: 1; white-space: normal; }
.context { font-size: 12px; color: #616061; }
.divider { border: 0; border-top: 1px solid #dddddd; margin: 12px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; }
.button { border: 1px solid rgba(29,28,29,.3); border-radius: 4px; padding: 0 12px; height: 28px;
          font-size: 13px; font-weight: 700; display: inline-flex; align-items: center; background: #fff;
          color: #1d1c1d; white-space: nowrap; }
.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.danger { background: #fff; border-color: #e01e5a; color: #e01e5a; }
.quote { border-left: 4px solid #dddddd; padding-left: 12px; margin: 2px 0; }
code { font-family: "DejaVu Sans Mono", Monaco, monospace; font-size: 12px; color: #e01e5a;
       background: #f8f8f8; border: 1px solid #e8e8e8; border-radius: 3px; padding: 1px 3px; }
a { color: #1264a3; text-decoration: none; }
img.picture { width: 100%; border-radius: 8px; border: 1px solid #e8e8e8; }  /* fitted to the width, as Slack */
.img-title { font-size: 13px; color: #616061; margin-bottom: 4px; }
.home { padding: 16px 24px; }
"""

_LINK = re.compile(r"&lt;(https?://[^|&]+)\|([^&]+?)&gt;|&lt;(https?://[^&]+?)&gt;")


def _inline(escaped: str) -> str:
    """Slack's mrkdwn on already-escaped text: code first, so its insides stay literal."""
    parts = re.split(r"(`[^`\n]+`)", escaped)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{part[1:-1]}</code>")
            continue
        part = _LINK.sub(lambda m: f'<a>{m.group(2) or m.group(3)}</a>', part)
        part = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])", r"<b>\1</b>", part)
        part = re.sub(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])", r"<i>\1</i>", part)
        part = re.sub(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])", r"<s>\1</s>", part)
        out.append(part)
    return "".join(out)


def mrkdwn(text: str) -> str:
    """Lines, quotes (`>`) and inline marks; Slack's own escapes (&amp; &lt; &gt;) decoded first."""
    raw = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = []
    for line in html.escape(raw, quote=False).split("\n"):
        if line.startswith("&gt; ") or line == "&gt;":
            lines.append(f'<div class="quote">{_inline(line[5:]) or "&nbsp;"}</div>')
        else:
            lines.append(_inline(line) + "<br>")
    return "".join(lines).removesuffix("<br>")


def _text(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")))
    return html.escape(str(obj.get("text", "")))


def _button(element: dict[str, Any]) -> str:
    style = element.get("style", "")
    return f'<span class="button {html.escape(style)}">{_text(element.get("text"))}</span>'


def block_html(block: dict[str, Any], files: dict[str, bytes]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f'<div class="block header">{_text(block.get("text"))}</div>'
    if kind == "divider":
        return '<hr class="divider">'
    if kind == "context":
        items = " ".join(_text(e) for e in block.get("elements", []) if e.get("type") in ("mrkdwn", "plain_text"))
        return f'<div class="block context">{items}</div>'
    if kind == "actions":
        buttons = "".join(_button(e) for e in block.get("elements", []) if e.get("type") == "button")
        return f'<div class="block actions">{buttons}</div>'
    if kind == "section":
        fields = "".join(f"<div>{_text(f)}</div>" for f in block.get("fields", []))
        accessory = block.get("accessory") or {}
        side = _button(accessory) if accessory.get("type") == "button" else ""
        return (f'<div class="block section"><div class="text">{_text(block.get("text"))}{fields}</div>'
                f"{side}</div>")
    if kind == "image":
        file_id = (block.get("slack_file") or {}).get("id", "")
        png = files.get(file_id, b"")
        src = "data:image/png;base64," + base64.b64encode(png).decode() if png else html.escape(
            str(block.get("image_url", "")))
        title = f'<div class="img-title">{_text(block.get("title"))}</div>' if block.get("title") else ""
        alt = html.escape(str(block.get("alt_text", "")))
        return f'<div class="block">{title}<img class="picture" src="{src}" alt="{alt}"></div>'
    raise ValueError(f"no drawing for Block Kit type {kind!r}; add one before screenshotting it")


def message(blocks: list[dict[str, Any]], *, who: str, bot: bool, time: str,
            files: dict[str, bytes] | None = None, text: str = "") -> str:
    """One message as Slack shows it: avatar, name (with APP for a bot), time, then its blocks."""
    inner = "".join(block_html(b, files or {}) for b in blocks) if blocks else f"<div>{mrkdwn(text)}</div>"
    tag = '<span class="app">APP</span>' if bot else ""
    return (f'<div class="msg"><div class="avatar {"bot" if bot else "human"}">{html.escape(who[:1])}</div>'
            f'<div class="body"><span class="who">{html.escape(who)}</span>{tag}<span class="time">{time}</span>'
            f"{inner}</div></div>")


def page(body: str, *, channel: str = "") -> str:
    head = f'<div class="channel">{html.escape(channel)}</div>' if channel else ""
    return (f'<!doctype html><html><head><meta charset="utf-8"><style>{CSS}</style></head>'
            f'<body><div class="frame">{head}{body}</div></body></html>')


def home(view: dict[str, Any], files: dict[str, bytes]) -> str:
    """The App Home tab: the view's blocks on the tab's white page."""
    return page('<div class="home">' + "".join(block_html(b, files) for b in view["blocks"]) + "</div>",
                channel="KSB Coach · Home")
