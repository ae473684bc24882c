"""`make screenshots`: the pictures in the README, drawn from the payloads the code really sends.

    make screenshots            # npm install in docs/screenshots, then this
    .venv/bin/python -m bench.screenshots [--out docs/images]

A throwaway coach (temp SQLite, the shipped index, the grounded composer, no
LLM) with a sample apprentice is asked "What counts for S24?" and given a
reflection; the replies go through the real Slack and Teams renderers
(`bot/adapters/*`). Teams cards are drawn by Microsoft's `adaptivecards`
renderer (npm, installed in docs/screenshots/, not committed); Slack's Block
Kit by `bench/blockkit_html.py`. Headless Chromium (Debian: chromium) takes the
pictures; Pillow trims the empty margin. Not run by tests: it needs Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from bench import blockkit_html
from bench.portfolio_sample import seed_apprentice

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "docs" / "screenshots"
OUT = ROOT / "docs" / "images"
QUESTION = "What counts for S24?"
REFLECTION = ("reflect: this week I set up data drift monitoring on the churn model in production: "
              "a weekly PSI check on the top features and an alert to the team channel when it "
              "crosses 0.2. I wrote a runbook for what to do when it fires. 3h")
TEAMS_HOST = {
    "fontFamily": "'DejaVu Sans', 'Segoe UI', sans-serif",
    "spacing": {"small": 4, "default": 8, "medium": 16, "large": 20, "extraLarge": 24, "padding": 16},
    "fontSizes": {"small": 12, "default": 14, "medium": 16, "large": 18, "extraLarge": 22},
    "containerStyles": {
        "default": {"backgroundColor": "#FFFFFF", "foregroundColors": {
            "default": {"default": "#242424", "subtle": "#616161"}, "accent": {"default": "#5B5FC7"},
            "good": {"default": "#0E700E"}, "attention": {"default": "#C4314B"}}},
        "emphasis": {"backgroundColor": "#F5F5F5", "foregroundColors": {
            "default": {"default": "#242424", "subtle": "#616161"}, "accent": {"default": "#5B5FC7"}}}},
    "actions": {"maxActions": 10, "buttonSpacing": 8, "actionsOrientation": "horizontal",
                "actionAlignment": "left", "spacing": "default", "showCard": {"actionMode": "inline"}},
    "supportsInteractivity": True,
}
TEAMS_CSS = """
body { margin: 0; background: #f5f5f5; font-family: 'DejaVu Sans', 'Segoe UI', sans-serif; }
.chat { width: 760px; padding: 16px 20px; }
.who { font-size: 12px; color: #616161; margin: 0 0 4px 44px; } .who b { color: #242424; }
.row { display: flex; align-items: flex-start; margin-bottom: 14px; }
.avatar { width: 32px; height: 32px; border-radius: 50%; background: #08519c; color: #fff; font-weight: bold;
          display: flex; align-items: center; justify-content: center; margin-right: 12px; flex: none; }
.me { justify-content: flex-end; } .me .bubble { background: #e8ebfa; border-radius: 6px; padding: 8px 12px;
      font-size: 14px; color: #242424; max-width: 480px; }
.card { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14); overflow: hidden; width: 700px; }
.ac-pushButton { border: 1px solid #d1d1d1; border-radius: 4px; background: #fff; color: #242424; font-weight: 600;
                 font-size: 14px; padding: 5px 12px; font-family: inherit; cursor: pointer; }
.ac-pushButton.style-positive { background: #5b5fc7; border-color: #5b5fc7; color: #fff; }
.ac-pushButton.style-destructive { color: #c4314b; border-color: #c4314b; }
.ac-textBlock p { margin: 0 0 6px; } .ac-textBlock p:last-child { margin-bottom: 0; }
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("needs Chromium: apt-get install chromium (Debian)")


def shoot(html_text: str, out: Path, *, width: int, background: tuple[int, int, int]) -> Path:
    """Headless Chromium at 2x, then the empty bottom and right margins trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(html_text, encoding="utf-8")
        raw = Path(tmp) / "shot.png"
        subprocess.run([_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--force-device-scale-factor=2", f"--window-size={width},2400",
                        "--virtual-time-budget=3000", "--allow-file-access-from-files",
                        f"--screenshot={raw}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
        image = Image.open(raw).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, background)).getbbox()
    if box:
        image = image.crop((0, 0, min(image.width, box[2] + 32), min(image.height, box[3] + 32)))
    out.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=256).save(out, optimize=True)  # a palette: a third of the bytes, text still crisp
    return out


def teams_page(turns: Sequence[tuple[str, Any]]) -> str:
    """A Teams 1:1 chat: the person's messages as bubbles, the bot's cards drawn by adaptivecards."""
    modules = TOOLS / "node_modules"
    if not (modules / "adaptivecards").is_dir():
        raise SystemExit("run `npm install` in docs/screenshots first (make screenshots does)")
    rows = []
    for i, (who, content) in enumerate(turns):
        if who == "me":
            rows.append(f'<div class="row me"><div class="bubble">{html.escape(content)}</div></div>')
        else:
            rows.append(f'<div class="who"><b>KSB Coach</b></div><div class="row"><div class="avatar">K</div>'
                        f'<div class="card" id="card{i}"></div></div>')
    cards = {f"card{i}": c for i, (who, c) in enumerate(turns) if who != "me"}
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{TEAMS_CSS}</style>
<script src="{(modules / 'adaptivecards/dist/adaptivecards.min.js').as_uri()}"></script>
<script src="{(modules / 'markdown-it/dist/markdown-it.min.js').as_uri()}"></script></head>
<body><div class="chat">{''.join(rows)}</div><script>
const md = window.markdownit({{html: false, linkify: false, breaks: true}});
AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {{
  result.outputHtml = md.render(text); result.didProcess = true; }};
const cards = {json.dumps(cards)};
for (const [id, payload] of Object.entries(cards)) {{
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig({json.dumps(TEAMS_HOST)});
  card.parse(payload);
  document.getElementById(id).appendChild(card.render());
}}
</script></body></html>"""


async def _replies(data_dir: Path) -> dict[str, Any]:
    from bot.config import Settings
    from bot.messages import Incoming, UserRef
    from bot.names import ActionId, IntentName
    from bot.wiring import make_coach, open_settings_database

    settings = Settings(_env_file=None, data_dir=data_dir, openai_api_key="", openai_base_url="")
    database = open_settings_database(settings)
    seed_apprentice(database.session, entries_wanted=24, start=date(2025, 9, 1))
    coach = make_coach(settings, database=database)
    user = UserRef(platform="slack", workspace_id="TDEMO", user_id="UPRIYA", display_name="Priya Patel")
    answer = await coach.handle(Incoming(user=user, text=QUESTION))
    # the first tagging in a process loads the tagger and may pass its 5 s timeout on a busy
    # machine (the entry is then saved untagged): warm it with someone else's reflection first
    warm = UserRef(platform="slack", workspace_id="TDEMO", user_id="UWARM", display_name="Warm Up")
    for _ in range(3):
        if (await coach.handle(Incoming(user=warm, text=REFLECTION))).actions:
            break
    reflection = await coach.handle(Incoming(user=user, text=REFLECTION))
    if not reflection.actions:
        raise SystemExit("the reflection came back without tag buttons (tagging timed out): run again")
    home = [(heading, await coach.handle(Incoming(user=user, action=action, payload={"text": ""})))
            for heading, action in (("Your evidence", ActionId.HOME),
                                    ("Weekly reflection prompt", IntentName.PROMPT_SETTINGS))]
    database.dispose()
    return {"answer": answer, "reflection": reflection, "home": home, "standard": coach.knowledge.standard}


def write_screenshots(out: Path) -> list[Path]:
    from bot.adapters.slack.blocks import render_reply as slack_reply
    from bot.adapters.slack.views import home_view
    from bot.adapters.teams.cards import render_reply as teams_reply

    with tempfile.TemporaryDirectory() as tmp:
        got = asyncio.run(_replies(Path(tmp)))
    written = []
    question = REFLECTION.removeprefix("reflect: ")
    slack_white = (255, 255, 255)
    for name, said, reply in (("answer", QUESTION, got["answer"]), ("reflection", REFLECTION, got["reflection"])):
        messages = "".join(blockkit_html.message(m.blocks, who="KSB Coach", bot=True, time="9:41 AM", text=m.text)
                           for m in slack_reply(reply, feedback_id="Ev1"))
        mine = blockkit_html.message([], who="Priya Patel", bot=False, time="9:41 AM", text=said)
        written.append(shoot(blockkit_html.page(mine + messages, channel="KSB Coach"),
                             out / f"slack-{name}.png", width=800, background=slack_white))
        turns: list[tuple[str, Any]] = [("me", said if name == "answer" else "reflect: " + question)]
        turns += [("bot", card) for card in teams_reply(reply)]
        written.append(shoot(teams_page(turns), out / f"teams-{name}.png", width=820, background=(245, 245, 245)))
    standard = got["standard"]
    png = next((r.metadata["coverage_png"] for _, r in got["home"]
                if isinstance(r.metadata.get("coverage_png"), bytes)), b"")
    view = home_view(title=f"KSB Coach · {standard.reference} {standard.title}", sections=got["home"],
                     footer="Message me any time: ask about a KSB, or start with \"reflect:\".",
                     picture="F_COVERAGE" if png else "")
    written.append(shoot(blockkit_html.home(view, {"F_COVERAGE": png}), out / "slack-home.png",
                         width=800, background=slack_white))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    for path in write_screenshots(args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
