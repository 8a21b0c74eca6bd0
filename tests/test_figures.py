"""The figures say what they show: each is drawn here from its committed CSV (or a small made-up run) and checked for
what a reader of the gallery found wrong once: one colour per power everywhere, legends over no data, event labels
crossed by no line, levels drawn at their values, R² with its digits, differences on a labelled common scale, tick
labels readable at the saved size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation

from alignment import figures as run_figures
from alignment.experiment.app import load_code
from alignment.experiment.plotting import MAX_WIDTH_IN, POWER_COLOURS

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "results" / "figures"
SAVE_DPI = 120  # alignment-experiment's


class _Data:
    """What draw() asks of the experiment's data: the events to mark (made-up dates: the layout is what is checked)."""

    def marks(self, sweep, scenario, labels, key=None):
        labels = labels or {}
        return pd.DataFrame({"id": list(labels), "year": [2016.5 + 1.6 * k for k in range(len(labels))],
                             "label": [str(v) for v in labels.values()]})


def _draw(name):
    options = yaml.safe_load((ROOT / "configs" / "experiment" / f"{name}.yaml").read_text())["options"]
    table = pd.read_csv(FIGURES / f"{name}.csv")
    fig = load_code(name).draw(table, options, _Data())
    fig.draw_without_rendering()
    return fig, table, options


@pytest.fixture
def close_all():
    yield
    plt.close("all")


def _legends(fig):
    return [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]


def _data_under_legends(fig) -> list:
    """(legend, axes) pairs where a line's point, a band's vertex or a bar lies under the legend."""
    renderer = fig.canvas.get_renderer()
    hits = []
    for legend in _legends(fig):
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            points = [line.get_transform().transform(line.get_xydata()) for line in ax.get_lines() if len(line.get_xydata())]
            points += [c.get_transform().transform(p.vertices) for c in ax.collections if isinstance(c, PolyCollection)
                       for p in c.get_paths()]
            inside = any(box.contains(x, y) for pts in points for x, y in pts if np.isfinite(x) and np.isfinite(y))
            bars = any(box.overlaps(p.get_window_extent(renderer)) for p in ax.patches
                       if isinstance(p, Rectangle) and p.get_height() > 0 and p.get_visible())
            if inside or bars:
                hits.append((legend, ax.get_title()))
    return hits


# the default run's figures (alignment/figures.py)

def _made_up_run():
    rng = np.random.default_rng(0)
    years = range(2015, 2036)
    ts = pd.DataFrame([{"date": pd.Timestamp(y, 6, 1), "year": y, "indicator": "alignment_weight", "entity": s, "partner": p,
                        "value": rng.uniform(0.05, 0.4), "unit": "share"}
                       for y in years for s in ("KAZ", "UZB") for p in ("RUS", "CHN", "USA", "EU")]
                      + [{"date": pd.Timestamp(y, 6, 1), "year": y, "indicator": "corridor_volume_mt", "entity": c,
                          "partner": "", "value": rng.uniform(0, 12), "unit": "Mt"} for y in years for c in ("NORTHERN", "MIDDLE")])
    led = pd.DataFrame([{"year": y, "kind": k, "intraregional": True} for y in years
                        for k, n in (("telegram", 40), ("call", 10), ("visit", 20), ("meeting", 20)) for _ in range(n)])
    return ts, led


def _captured(monkeypatch):
    figs = []
    monkeypatch.setattr(run_figures, "_save", lambda fig, path: figs.append(fig))
    return figs


def test_the_default_runs_figures_colour_each_power_as_the_gallery_does(monkeypatch, close_all):
    ts, _ = _made_up_run()
    figs = _captured(monkeypatch)
    run_figures.draw_alignment(ts, Path("unused.png"))
    legend = figs[0].legends[0]
    colours = {t.get_text(): to_hex(h.get_color()) for t, h in zip(legend.get_texts(), legend.legend_handles)}
    assert colours == {p: POWER_COLOURS[p] for p in ("CHN", "EU", "RUS", "USA")}  # Russia red, as in the gallery
    drawn = {to_hex(line.get_color()) for ax in figs[0].axes for line in ax.get_lines()}
    assert to_hex(POWER_COLOURS["RUS"]) in drawn


def test_the_default_runs_legends_cover_no_data(monkeypatch, close_all):
    ts, led = _made_up_run()
    figs = _captured(monkeypatch)
    run_figures.draw_corridors(ts, Path("unused.png"))
    run_figures.draw_interactions(led, Path("unused.png"))  # bars of the same height every year: no free corner
    for fig in figs:
        fig.draw_without_rendering()
        assert _legends(fig) and not _data_under_legends(fig)


def test_importing_the_default_runs_figures_pulls_in_no_model_code():
    """alignment.runs imports alignment.figures to draw a run: POWER_COLOURS must come without the sweeps, Hydra or Mesa
    (from alignment.colours, which the classroom page reads too)."""
    code = ("import sys, alignment.figures; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'alignment', 'hydra', 'omegaconf', 'mesa'})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["alignment", "alignment.colours", "alignment.figures"]


# the gallery (experiments/*/figure.py, drawn from the committed CSVs)

@pytest.mark.parametrize("name", ["interactions", "corridor_shift", "demo_sweep", "alignment_history", "unga_fit"])
def test_no_legend_of_the_gallery_covers_data(name, close_all):
    fig, _, _ = _draw(name)
    assert not _data_under_legends(fig)


@pytest.mark.parametrize("name", ["alignment_history", "corridor_shift", "interactions"])
def test_event_labels_sit_above_the_panels_where_no_line_crosses_them(name, close_all):
    fig, _, options = _draw(name)
    renderer = fig.canvas.get_renderer()
    labels = [(t, ax) for ax in fig.axes for t in ax.texts if isinstance(t, Annotation) and t.get_text() in
              set(options["marks"].values())]
    assert labels
    for text, ax in labels:  # the dotted lines end at the panel's top edge
        assert text.get_window_extent(renderer).y0 >= ax.get_window_extent(renderer).y1 - 0.5, text.get_text()
    top = max(ax.get_window_extent(renderer).y1 for ax in fig.axes)
    labelled = {id(ax) for _, ax in labels}
    assert all(id(ax) in labelled for ax in fig.axes if ax.get_window_extent(renderer).y1 == top)  # every top panel


def test_alignment_history_zooms_on_the_powers_that_crowd_together_and_labels_them(close_all):
    fig, table, _ = _draw("alignment_history")
    zoom = fig.axes[1]
    low, high = zoom.get_ylim()
    assert high - low < 0.2  # against 0.65 on the left
    labels = {t.get_text() for t in zoom.texts}
    kaz = table[(table.state == "KAZ") & (table.year == table.year.max())]
    assert set(kaz[kaz["mean"] < 0.12].power) <= labels  # the powers near 0.10, each named at its line's end


def test_phase_diagram_draws_the_levels_at_their_values(close_all):
    fig, table, _ = _draw("phase_diagram")
    xs, ys = np.sort(table.x.unique()), np.sort(table.y.unique())
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 3
    for ax in panels:
        meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
        np.testing.assert_allclose(ax.get_xticks(), xs)
        assert [t.get_text() for t in ax.get_xticklabels()] == [f"{v:g}" for v in xs]
        np.testing.assert_allclose(ax.get_yticks(), ys)
        corners = meshes[0].get_coordinates()  # cell corners: each level inside its own cell
        x_edges, y_edges = corners[0, :, 0], corners[:, 0, 1]
        assert np.all((x_edges[:-1] < xs) & (xs < x_edges[1:])) and np.all((y_edges[:-1] < ys) & (ys < y_edges[1:]))
        assert ax.get_xscale() == "log" and "log scale" in ax.get_xlabel()  # 0.5 ... 10: a factor of 20


def test_unga_fit_prints_r2_as_computed_and_the_guide_quotes_it(close_all):
    fig, table, _ = _draw("unga_fit")
    w = table[table.year.isna() & table.recorded.notna()]
    r2 = 1 - ((w["mean"] - w.recorded) ** 2).sum() / ((w.recorded - w.recorded.mean()) ** 2).sum()
    titles = " ".join(ax.get_title(loc="left") for ax in fig.axes)
    assert f"R² {r2:.3f}" in titles and r2 < 0.9995  # three decimals: not "1.00"
    assert f"R² {r2:.3f}" in (ROOT / "docs" / "guide" / "figures.md").read_text()
    assert f"at most {(w.hi - w.lo).max():.3f} wide" in fig.get_suptitle()  # the bars the title names, and their size


def test_scenarios_2035_draws_differences_in_percentage_points_on_shared_axes(close_all):
    fig, table, options = _draw("scenarios_2035")
    panels = [ax for ax in fig.axes if ax.collections]
    weights = [ax for ax in panels if "five-state mean" in ax.get_title() or "cohesion" in ax.get_title()]
    assert len(weights) == 6 and len({ax.get_xlim() for ax in weights}) == 1  # one scale for the weights and indices
    for ax in panels:
        assert "percentage points" in ax.get_xlabel() or ax not in weights[-3:]
    ax = next(a for a in panels if a.get_title().startswith("weight on Russia"))
    dots = next(c for c in ax.collections if isinstance(c, PathCollection)).get_offsets()[:, 0]
    diffs = table[(table.panel == "weight_on_RUS") & (table.scenario != options["reference"])].diff_mean.to_numpy()
    np.testing.assert_allclose(dots, 100 * diffs)  # the CSV's differences x100, as the axis says
    assert max(abs(t) for t in ax.get_xticks()) >= 0.5  # no ticks of 0.0005


def test_sobol_is_readable_at_its_saved_size(close_all):
    fig, _, _ = _draw("sobol")
    assert fig.get_figwidth() <= MAX_WIDTH_IN and fig.get_figwidth() * SAVE_DPI <= 1650
    sizes = [t.get_fontsize() for ax in fig.axes for t in ax.get_yticklabels() + ax.get_xticklabels() if t.get_text()]
    assert sizes and min(sizes) >= 9


def test_demo_sweep_draws_shares_in_percent_as_the_readme_quotes_them(close_all):
    fig, table, _ = _draw("demo_sweep")
    share = fig.axes[0]
    assert "%" in share.get_ylabel() and share.get_ylim()[1] > 1  # percent, not a fraction
    at = table[(table.panel == "middle_share_by_year") & (table.year == 2025)].set_index("scenario")["median"]
    readme = (ROOT / "README.md").read_text()
    for scenario in ("historical", "no_war_2022"):
        assert f"{100 * at[scenario]:.1f} %" in readme


def test_corridor_shift_says_what_its_band_is(close_all):
    fig, table, _ = _draw("corridor_shift")
    width = (table.hi - table.lo).max()
    assert ("zero width" in fig.get_suptitle()) == (width == 0)
