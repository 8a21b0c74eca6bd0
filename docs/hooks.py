"""MkDocs hooks: pages made from the code at build time, so the site cannot drift from it.

- ``commands/<command>.md``: one page per command, every key of its composed config with its default (and, for the
  model's parameters, the unit, range, description and source the schema states beside them);
- ``changelog.md`` from CHANGELOG.md;
- the figures under results/ served as ``results/...`` files of the site, so pages show the committed figures;
- a link to a file of the repository outside docs/ (configs/..., alignment/...) becomes the path in code type:
  the site is read offline, without the repository beside it.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from mkdocs.structure.files import File

REPO = Path(__file__).resolve().parents[1]
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(((?:\.\./)*)((?:alignment|configs|experiments|benchmarks|tests|results|docs)/[^)#\s]*)(#[^)]*)?\)")
_SERVED = (".png", ".svg")
_SKIP = ("scenario.events", "scenario.layers", "targets.", "search.")


def _leaves(node, prefix=""):
    from omegaconf import OmegaConf

    if OmegaConf.is_dict(node):
        for k in node:
            yield from _leaves(node._get_node(k), f"{prefix}{k}.")
    else:
        try:
            value = OmegaConf.to_container(node) if OmegaConf.is_list(node) else node._value()
        except Exception:  # noqa: BLE001 - an interpolation Hydra resolves at run time
            value = str(node._value())
        yield prefix[:-1], value


def _show(value) -> str:
    text = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    text = text.replace("|", "\\|")
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def command_page(command: str) -> str:
    from alignment.cli import compose_config
    from alignment.entry import COMMANDS, short_help
    from alignment.schema import ModelParams

    spec = COMMANDS[command]
    cfg = compose_config([], config_name=spec["config"])
    meta = {f.name: f.metadata for f in dataclasses.fields(ModelParams)}
    lines = [f"# {spec['prog']}", "", spec["summary"], "", "```text", short_help(command), "```", "",
             "## Every key and its default", "",
             f"Set any key on the command line as `KEY=VALUE` (`{spec['prog']} model.temperature=2`); a group "
             "(`scenario`, `model`, `sweep`, ...) takes the name of a file of its folder under configs/. Keys of the "
             "scenario's events, the targets and the search space are in their files (configs/scenario/, "
             "configs/targets/, configs/search/).", ""]
    section = None
    for key, value in _leaves(cfg):
        if key.startswith(_SKIP) or key.startswith("hydra"):
            continue
        top = key.split(".", 1)[0]
        if top != section:
            section = top
            lines += ["", f"### {top}", "", "| key | default | unit | allowed | what it is |", "|---|---|---|---|---|"]
        m = meta.get(key.split(".", 1)[1]) if key.startswith("model.") and "." in key else None
        if m:
            lines.append(f"| `{key}` | {_show(value)} | {m.get('unit', '')} | {m.get('range', '') or ''} | "
                         f"{m.get('description', '')} ({m.get('source', '')}) |".replace("\n", " "))
        else:
            lines.append(f"| `{key}` | {_show(value)} | | | |")
    return "\n".join(lines) + "\n"


def on_files(files, config):
    from alignment.entry import COMMANDS

    for command in COMMANDS:
        files.append(File.generated(config, f"commands/{command}.md", content=command_page(command)))
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "changelog.md", content=changelog))
    for path in sorted((REPO / "results").rglob("*")):
        if path.suffix in _SERVED and path.is_file():
            files.append(File(str(path.relative_to(REPO)), src_dir=str(REPO), dest_dir=config["site_dir"],
                              use_directory_urls=config["use_directory_urls"]))
    return files


def on_page_markdown(markdown, page, config, files):
    """Links into the repository: served figures keep working (relative to the page), other files become code."""
    depth = page.file.src_uri.count("/")

    def fix(m):
        bang, text, _, target, anchor = m.groups()
        if target.startswith("docs/"):
            return f"{bang}[{text}]({'../' * depth}{target[len('docs/'):]}{anchor or ''})"
        if target.endswith(_SERVED) and (REPO / target).is_file():
            return f"{bang}[{text}]({'../' * depth}{target})"
        if bang:
            return f"*({text or target}: `{target}` in the repository)*"
        return f"`{target}`" if text.strip("`") == target else f"{text} (`{target}`)"

    return _LINK.sub(fix, markdown)
