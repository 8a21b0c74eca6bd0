"""The world's data file, read by path (world.data) and cached by content, not composed into the config."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from alignment.cli import CONFIG_DIR
from alignment.errors import ConfigError
from alignment.runs import prepare
from alignment.world.source import load_data

DATA = CONFIG_DIR / "world" / "data" / "central_asia.yaml"


def test_the_composed_config_holds_the_path_not_the_data(compose):
    cfg = compose()
    assert set(cfg.world) == {"name", "data", "base_year", "states", "powers"}
    assert load_data(cfg.world.data)["catalogue"]["KAZ"] == {"name": "Kazakhstan", "kind": "state"}


def test_a_copy_elsewhere_is_the_same_world(compose, tmp_path):
    """An absolute path to the same bytes: the same arrays, and the same sweep identity (the content counts)."""
    from alignment.sweeps.cli import run_config

    shutil.copy(DATA, tmp_path / "w.yaml")
    a = prepare(compose(["horizon.end=2016-12", "horizon.drop_later_events=true"])).world
    b = prepare(compose(["horizon.end=2016-12", "horizon.drop_later_events=true", f"world.data={tmp_path / 'w.yaml'}"])).world
    np.testing.assert_array_equal(a.trade_record, b.trade_record)
    np.testing.assert_array_equal(a.observations.unga, b.observations.unga)
    sweep = lambda *o: compose_sweep(["sweep=demo", *o])  # noqa: E731
    assert run_config(sweep()) == run_config(sweep(f"world.data={tmp_path / 'w.yaml'}"))


def compose_sweep(overrides):
    from alignment.cli import compose_config

    return compose_config(overrides, config_name="sweep")


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "w.yaml"
    shutil.copy(DATA, path)
    first = load_data(str(path))
    assert load_data(str(path)) is first  # parsed once per content
    path.write_text(DATA.read_text().replace("name: Kazakhstan", "name: Qazaqstan"))
    assert load_data(str(path))["catalogue"]["KAZ"]["name"] == "Qazaqstan"


@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    ("catalogue: [unclosed\n", "malformed YAML at line 2"),
    ("- a list\n", "must be a mapping"),
    ("catalogue: {}\n", "has no 'gdp_usd_bn' block"),
    ("nan", "must be a mapping"),
])
def test_a_bad_data_file_is_one_line_before_any_run(tmp_path, capsys, content, words):
    from alignment.cli import main

    path = tmp_path / "w.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as ended:
        main([f"world.data={path}", f"hydra.run.dir={tmp_path / 'run'}"])
    err = capsys.readouterr().err
    assert ended.value.code == 2 and err.startswith("alignment-run: error: world.data=") and words in err, err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "run").exists()


def test_a_number_that_is_not_finite_names_its_key(tmp_path):
    text = DATA.read_text()
    path = tmp_path / "w.yaml"
    path.write_text(text.replace("values:\n    KAZ:\n      2015: ", "values:\n    KAZ:\n      2015: .nan #", 1))
    with pytest.raises(ConfigError, match=r"^world\.gdp_usd_bn\.values\.KAZ\.2015="):
        load_data(str(path))
