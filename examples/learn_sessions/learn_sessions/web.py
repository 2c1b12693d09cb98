"""The HTML pages (filled in next)."""
from __future__ import annotations
from typing import List
from starlette.routing import Route
from learn_sessions.accounts import Accounts
from learn_sessions.sessions import Sessions


class Pages:
    def __init__(self, accounts: Accounts, sessions: Sessions) -> None:
        self.accounts = accounts
        self.sessions = sessions

    def routes(self) -> List[Route]:
        return []
