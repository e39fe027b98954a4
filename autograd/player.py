"""The backward stepper's HTML player: one self-contained page of SVG frames, with controls.

The page fetches nothing (its content security policy forbids every request), so it
works offline from a file and inside a Jupyter iframe. Frames are scaled to the width
of the page; the controls stay at the top while a tall frame scrolls.
"""

from __future__ import annotations

import html
import re

_ID = re.compile(r'\bid="([^"]*)"')


def split_svg(out: str) -> list[str]:
    """The SVG documents in the output of one dot run over several graphs."""
    parts = out.split("<?xml")
    return ["<?xml" + part for part in parts if part.strip()]


def inline_svg(doc: str, k: int) -> str:
    """An SVG document as an element for inlining: no prologue, ids unique to frame k."""
    start = doc.index("<svg")
    svg = doc[start:].strip()
    return _ID.sub(lambda m: f'id="f{k}-{m.group(1)}"', svg)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 1.5em 1.5em; color: #111827; }
h1 { font-size: 1.3em; margin: .8em 0 .4em; }
.top { position: sticky; top: 0; background: #fff; padding: .4em 0; z-index: 1; }
.controls { display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
.controls button { font-size: 1em; padding: .3em .9em; }
.controls input[type=range] { flex: 1; min-width: 12em; }
#caption { font-family: ui-monospace, monospace; min-height: 1.4em; margin: .5em 0 0; }
.frame svg { display: block; max-width: 100%; height: auto; }
.legend { color: #4b5563; font-size: .9em; }
"""

# show(k) hides every frame but k; after a click or a key, the highlighted node is
# scrolled into view if it is out of sight (not on load: a notebook must not jump to it).
_SCRIPT = """
(function () {
  const frames = Array.from(document.querySelectorAll(".frame"));
  const slider = document.getElementById("slider");
  const counter = document.getElementById("counter");
  const caption = document.getElementById("caption");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const play = document.getElementById("play");
  const top = document.querySelector(".top");
  let current = 0;
  let timer = null;
  function show(k, reveal) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    frames.forEach(function (f, j) { f.hidden = j !== current; });
    slider.value = String(current + 1);
    counter.textContent = (current + 1) + " / " + frames.length;
    caption.textContent = frames[current].dataset.caption;
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
    const node = reveal ? frames[current].querySelector(".current") : null;
    if (node) {
      node.scrollIntoView({block: "nearest", inline: "nearest"});
      const below = top.getBoundingClientRect().bottom - node.getBoundingClientRect().top;
      if (below > 0) { window.scrollBy(0, -below - 8); }  // not under the sticky controls
    }
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25B6 Play";
  }
  function start() {
    if (current === frames.length - 1) { show(0, true); }
    play.textContent = "\\u23F8 Pause";
    timer = setInterval(function () {
      if (current >= frames.length - 1) { stop(); } else { show(current + 1, true); }
    }, 1000);
  }
  prev.addEventListener("click", function () { stop(); show(current - 1, true); });
  next.addEventListener("click", function () { stop(); show(current + 1, true); });
  play.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); } });
  slider.addEventListener("input", function () { stop(); show(Number(slider.value) - 1, true); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowLeft") { stop(); show(current - 1, true); }
    else if (e.key === "ArrowRight") { stop(); show(current + 1, true); }
  });
  show(0, false);
})();
"""

# The policy forbids every request: the page works offline, from a file.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def page(title: str, svgs: list[str], captions: list[str]) -> str:
    """The whole page: a frame per SVG (hidden but the first), each with its caption."""
    frames = "\n".join(
        f'<div class="frame" data-step="{k + 1}" data-caption="{html.escape(c, quote=True)}"'
        f'{" hidden" if k else ""}>\n{svg}\n</div>'
        for k, (svg, c) in enumerate(zip(svgs, captions))
    )
    n = len(svgs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<div class="top">
<div class="controls">
<button id="prev" type="button">&#9664; Previous</button>
<button id="play" type="button">&#9654; Play</button>
<button id="next" type="button">Next &#9654;</button>
<input id="slider" type="range" min="1" max="{n}" value="1" aria-label="step">
<span id="counter">1 / {n}</span>
</div>
<p id="caption">{html.escape(captions[0])}</p>
</div>
<p class="legend">Red: the node being processed and the gradients it passes to its parents.
Dashed: gradients not known yet (<code>?</code>) or still accumulating (<code>…</code>).
Arrow keys step too.</p>
<div id="frames">
{frames}
</div>
<script>{_SCRIPT}</script>
</body>
</html>
"""
