"""alignment-app: the classroom page on http://127.0.0.1:PORT, served by Solara, with no network needed.

    alignment-app                      # port 8765, configs/app/classroom.yaml
    alignment-app --port 8800 --config my_class.yaml

The classroom file is checked before the server starts: a bad one is one line on stderr and status 2.
Every asset the page loads comes from the installed packages (solara-assets; ipyvue 1.x picks the bundle
solara-assets carries), so the page works offline; Solara's telemetry and its version check are off.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import warnings
from pathlib import Path

from alignment.errors import ConfigError

PROG = "alignment-app"
HOST = "127.0.0.1"


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ConfigError("--port", port, "a TCP port in [1, 65535]")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closed server's TIME_WAIT is no conflict
        try:
            s.bind((HOST, port))
        except OSError:
            raise ConfigError("--port", port, f"already in use on {HOST}; choose another with --port") from None


def parse(argv=None) -> argparse.Namespace:
    from alignment.app.classroom import DEFAULT

    parser = argparse.ArgumentParser(prog=PROG, description="The model in a browser, for a class: serves the classroom "
                                                            f"page on http://{HOST}:PORT (Ctrl-C stops it).")
    parser.add_argument("--port", type=int, default=8765, help="the port to serve on (default 8765)")
    from alignment.entry import version_line

    parser.add_argument("--version", action="version", version=version_line())
    parser.add_argument("--config", default=str(DEFAULT), help="the classroom file: sliders, locked ranges, guided "
                                                               "questions (default configs/app/classroom.yaml)")
    return parser.parse_args(argv)


def _warm(port: int) -> None:
    """What the first page needs, done in the background once the server listens (imports, the default run's config
    composed and checked, matplotlib's first drawing), while the browser loads the page's scripts: the first page is
    ready sooner. Every picture here is its own Figure (no pyplot state is shared); any error is left for the page
    itself to meet and report."""
    import io
    import time

    for _ in range(600):  # the server's own start-up first (both would compete for the interpreter)
        try:
            socket.create_connection((HOST, port), 0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        from alignment.app import charts, page
        from alignment.app.session import Session

        session = Session(page.classroom())
        for fig in (charts.draw_map(session, "en"), charts.draw_weights(session, "KAZ", "en"), charts.draw_corridors(session, "en")):
            if fig is not None:
                fig.savefig(io.BytesIO(), format="png")
    except Exception:  # noqa: BLE001 - a warm-up only
        pass


def main(argv=None) -> None:
    args = parse(argv)
    from alignment.app.classroom import load_classroom

    try:
        _check_port(args.port)
        classroom = load_classroom(args.config)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    os.environ["ALIGNMENT_CLASSROOM"] = str(Path(classroom.path).resolve())
    os.environ["SOLARA_APP"] = "alignment.app.page"
    os.environ.setdefault("SOLARA_MODE", "production")  # no dev iframe from solara.dev, no auto-reload
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # Solara's server imports websockets.legacy (deprecated in websockets 14+), and warns about SameSite cookies
    # over plain http on 127.0.0.1: neither is ours to change, neither matters here
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    warnings.filterwarnings("ignore", "Cookies with samesite", UserWarning)
    import uvicorn

    print(f"{PROG}: serving the classroom page on http://{HOST}:{args.port} ({Path(classroom.path).name}); Ctrl-C stops it",
          flush=True)
    import threading

    threading.Thread(target=_warm, args=(args.port,), name="warm-up", daemon=True).start()
    uvicorn.run("solara.server.starlette:app", host=HOST, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
