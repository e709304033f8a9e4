"""Chart labels reach Plotly escaped: Plotly renders a subset of HTML in labels and hover text, and topic labels
and place names are typed by users. Runs static/js/charts.js in Node with a stand-in for Plotly and the page."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CHARTS = Path(__file__).resolve().parents[2] / "src" / "civicpulse" / "web" / "static" / "js" / "charts.js"
HOSTILE = ['<a href="https://evil.example/">Ngập</a>', "<b style='color:red'>Kẹt xe</b> & co", "A<br>B"]

HARNESS = """
const vm = require("vm"), fs = require("fs");
const drawn = [];
const window = {
  CP: { data: { lang: "en" }, clear() {}, el() { return {}; }, t(key) { return key; },
        suppressedText() { return ""; } },
  Plotly: { newPlot(target, traces, layout) { drawn.push(traces); return null; } },
};
const document = { getElementById() { return { appendChild() {} }; } };
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), { window, document });
const labels = JSON.parse(process.argv[2]);
window.CPCharts.bars("chart", labels.map((key, i) => ({ key, posts: i + 1 })), (r) => r.key);
window.CPCharts.draw("chart", [{ x: [1], y: [2], name: labels[0] }]);
process.stdout.write(JSON.stringify(drawn));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the chart script")
def test_user_strings_reach_plotly_escaped() -> None:
    out = subprocess.run(["node", "-e", HARNESS, str(CHARTS), json.dumps(HOSTILE)], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    bars, line = json.loads(out)
    shown = bars[0]["y"][::-1]  # bars are drawn largest on top
    assert shown == ['&lt;a href="https://evil.example/"&gt;Ngập&lt;/a&gt;',
                     "&lt;b style='color:red'&gt;Kẹt xe&lt;/b&gt; &amp; co", "A&lt;br&gt;B"]
    assert line[0]["name"] == shown[0]
    assert not any("<" in label for label in shown)
