"""alignment-app: the classroom page on http://127.0.0.1:PORT, served by Solara, with no network needed.

    alignment-app                      # port 8765, configs/app/classroom.yaml, this machine only
    alignment-app --port 8800 --config my_class.yaml
    alignment-app --host 0.0.0.0 --max-sessions 30   # a class on the local network, on their own devices

By default the page is served to this machine only (127.0.0.1). ``--host`` opens it to the local network: the
command prints the address students should open and a warning that anyone on the network can reach it.
``--max-sessions`` caps the sessions served at once (one per open tab; a tab over the cap sees a page that says
the class is full), and ``--idle-minutes`` closes a session that long after its tab was closed or its device slept,
so the server's memory does not grow over a school day.

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


def _check_host(host: str) -> str:
    """The address to serve on, as an IPv4 address: 127.0.0.1, 0.0.0.0 (every interface) or one of this machine's."""
    try:
        address = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except (OSError, UnicodeError):
        raise ConfigError("--host", host, "an IPv4 address or name of this machine (127.0.0.1: this machine only; "
                                          "0.0.0.0: every network interface)") from None
    if address != "0.0.0.0":
        with socket.socket() as s:
            try:
                s.bind((address, 0))
            except OSError:
                raise ConfigError("--host", host, "not an address of this machine; use 127.0.0.1 (this machine only), "
                                                  "0.0.0.0 (every network interface) or one of its own addresses") from None
    return address


def _check_port(port: int, host: str = HOST) -> None:
    if not 1 <= port <= 65535:
        raise ConfigError("--port", port, "a TCP port in [1, 65535]")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closed server's TIME_WAIT is no conflict
        try:
            s.bind((host, port))
        except OSError:
            raise ConfigError("--port", port, f"already in use on {host}; choose another with --port") from None


def _check_limits(args) -> None:
    if args.max_sessions is not None and args.max_sessions < 1:
        raise ConfigError("--max-sessions", args.max_sessions, "at least 1 (one session per open tab)")
    if not args.idle_minutes > 0:
        raise ConfigError("--idle-minutes", args.idle_minutes, "a number of minutes above 0")


def lan_address() -> str:
    """The address this machine has on its local network (the interface a packet out would leave by; nothing is
    sent), or its name when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))
            return s.getsockname()[0]
        except OSError:
            return socket.gethostname()


def public_url(host: str, port: int) -> str:
    """The address others open: the machine's network address when serving every interface, else the host."""
    return f"http://{lan_address() if host == '0.0.0.0' else host}:{port}"


def parse(argv=None) -> argparse.Namespace:
    from alignment.app.classroom import DEFAULT

    parser = argparse.ArgumentParser(prog=PROG, description="The model in a browser, for a class: serves the classroom "
                                                            f"page on http://{HOST}:PORT, or to the local network with "
                                                            "--host 0.0.0.0 (Ctrl-C stops it).")
    parser.add_argument("--port", type=int, default=8765, help="the port to serve on (default 8765)")
    parser.add_argument("--host", default=HOST, help="the address to serve on (default 127.0.0.1: this machine only; "
                                                     "0.0.0.0: the local network, for a class on its own devices)")
    parser.add_argument("--max-sessions", type=int, default=None, metavar="N",
                        help="at most N sessions (open tabs) at once; one more sees a page that says the class is full "
                             "(default: no limit)")
    parser.add_argument("--idle-minutes", type=float, default=10.0, metavar="M",
                        help="close a session M minutes after its tab was closed or its device slept (default 10)")
    from alignment.entry import version_line

    parser.add_argument("--version", action="version", version=version_line())
    parser.add_argument("--config", default=str(DEFAULT), help="the classroom file: sliders, locked ranges, guided "
                                                               "questions (default configs/app/classroom.yaml)")
    return parser.parse_args(argv)


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on now (for tests and benchmarks that start a server of their own)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until_listening(port: int, host: str = HOST, timeout: float = 120.0, alive=None) -> bool:
    """Wait until a server listens on ``host``:``port`` (0.0.0.0 is reached at 127.0.0.1). False after ``timeout``
    seconds, or as soon as ``alive()`` (a started server process still running) says False."""
    import time

    address = ("127.0.0.1" if host == "0.0.0.0" else host, port)
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if alive is not None and not alive():
            return False
        try:
            socket.create_connection(address, 0.1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _warm(host: str, port: int) -> None:
    """What the first page needs, done in the background once the server listens (imports, the default run's config
    composed and checked, matplotlib's first drawing), while the browser loads the page's scripts: the first page is
    ready sooner. Every picture here is its own Figure (no pyplot state is shared); any error is left for the page
    itself to meet and report."""
    import io

    wait_until_listening(port, host, timeout=60.0)  # the server's own start-up first (both would compete for the interpreter)
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
        host = _check_host(args.host)
        _check_port(args.port, host)
        _check_limits(args)
        classroom = load_classroom(args.config)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    os.environ["ALIGNMENT_CLASSROOM"] = str(Path(classroom.path).resolve())
    os.environ["SOLARA_APP"] = "alignment.app.page"
    os.environ.setdefault("SOLARA_MODE", "production")  # no dev iframe from solara.dev, no auto-reload
    os.environ.setdefault("SOLARA_THEME_LOADER", "plain")  # the default loader's "runs on Solara" badge covered the events
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no telemetry, whatever the environment says
    os.environ["SOLARA_KERNEL_CULL_TIMEOUT"] = f"{args.idle_minutes * 60:g}s"
    url = public_url(host, args.port)
    os.environ["ALIGNMENT_PUBLIC_URL"] = url  # the page's "Copy link" gives this address, not the teacher's 127.0.0.1
    if args.max_sessions is not None:
        os.environ["ALIGNMENT_MAX_SESSIONS"] = str(args.max_sessions)
    else:
        os.environ.pop("ALIGNMENT_MAX_SESSIONS", None)
    # Solara's server imports websockets.legacy (deprecated in websockets 14+), and warns about SameSite cookies
    # over plain http on 127.0.0.1: neither is ours to change, neither matters here
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    warnings.filterwarnings("ignore", "Cookies with samesite", UserWarning)
    import uvicorn

    print(f"{PROG}: serving the classroom page on {url} ({Path(classroom.path).name}); Ctrl-C stops it", flush=True)
    if host != HOST:
        print(f"{PROG}: students open {url} on the same network. Warning: anyone who can reach this machine on the "
              "network can open the page and run the model; stop the server (Ctrl-C) after the class.", flush=True)
    limit = f"at most {args.max_sessions} sessions" if args.max_sessions else "no limit on sessions"
    print(f"{PROG}: {limit}; a session closes {args.idle_minutes:g} min after its tab does", flush=True)
    import threading

    threading.Thread(target=_warm, args=(host, args.port), name="warm-up", daemon=True).start()
    uvicorn.run("solara.server.starlette:app", host=host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
