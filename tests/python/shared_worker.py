"""A worker process for the shared-mode tests (tests/python/test_processes.py).

Run as ``python shared_worker.py STORE_PATH``: it opens the store itself, in
shared mode (never a store inherited through fork), says ``{"ready": pid}``,
then answers one JSON command per stdin line with one JSON line:

- ``{"op": "get", "token": T, "key": K}`` → ``{"value": ...}`` or
  ``{"error": "SessionRevoked"}`` (the exception's class name);
- ``{"op": "login", "token": T, "user": U}`` → ``{"token": NEW}``;
- ``{"op": "logout", "token": T}`` → ``{"ended": bool}``;
- ``{"op": "set_keys", "token": T, "prefix": P, "count": N}`` → sets
  ``P0 … P{N-1}`` one ``set`` each, printing ``{"acked": "Pi"}`` after each
  returns (the write is durable then), and ``{"done": N}`` at the end.

End of input closes the store and exits.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict

import coatcheck


def answer(store: coatcheck.Store, command: Dict[str, Any]) -> Dict[str, Any]:
    op = command["op"]
    try:
        if op == "get":
            return {"value": store.get(command["token"]).data.get(command["key"])}
        if op == "login":
            return {"token": store.login(command["token"], command["user"]).token}
        if op == "logout":
            return {"ended": store.logout(command["token"])}
        if op == "set_keys":
            prefix, count = command["prefix"], int(command["count"])
            for i in range(count):
                store.set(command["token"], f"{prefix}{i}", i)
                reply({"acked": f"{prefix}{i}"})
            return {"done": count}
    except coatcheck.CoatcheckError as e:
        return {"error": type(e).__name__, "message": str(e)}
    return {"error": "unknown op " + op}


def reply(message: Dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    with coatcheck.Store(sys.argv[1], shared=True, sweep_interval=None) as store:
        reply({"ready": os.getpid()})
        for line in sys.stdin:
            reply(answer(store, json.loads(line)))


if __name__ == "__main__":
    main()
