"""``python -m learn_sessions``: serve the app with uvicorn, several workers
on one store file (coatcheck's shared mode).

    python -m learn_sessions --port 3333 --workers 2

Each worker is a process of its own that opens the store lazily, on its
first request; ``COATCHECK_OPTIONS`` gets ``"shared": true`` so that they
open the one file together. A coatcheck build without shared mode serves
with one worker (and says so).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any, Dict, List, Optional

import uvicorn

import coatcheck


def shared_mode_available() -> bool:
    """Whether this coatcheck's ``Store`` takes ``shared=True``."""
    shared: Dict[str, Any] = {"shared": True}  # a keyword older builds lack
    with tempfile.TemporaryDirectory() as folder:
        try:
            coatcheck.Store(os.path.join(folder, "probe.redb"), **shared).close()
        except TypeError:
            return False
    return True


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m learn_sessions", description="Serve learn-sessions.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3333)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    options = json.loads(os.environ.get("COATCHECK_OPTIONS", "{}"))
    workers = args.workers
    if workers > 1 and "shared" not in options:
        if shared_mode_available():
            options["shared"] = True
        else:
            print("learn-sessions: this coatcheck has no shared mode: one worker", file=sys.stderr)
            workers = 1
    os.environ["COATCHECK_OPTIONS"] = json.dumps(options)
    print(f"learn-sessions: open http://{args.host}:{args.port}/ ({workers} worker(s))", flush=True)
    uvicorn.run(
        "learn_sessions.app:create_app", factory=True, host=args.host, port=args.port, workers=workers
    )


if __name__ == "__main__":
    main()
