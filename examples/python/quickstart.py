"""A visitor's journey through coatcheck, printed step by step.

The same journey as examples/quickstart.rs, from Python. Run it with

    python examples/python/quickstart.py [FILE]

The store file stays behind: run it twice and the second run finds the
sessions the first one left.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Optional

import coatcheck


def short(session_id: str) -> str:
    return session_id[:12]


def main(path: str = "coatcheck-demo.redb", clock: Optional[coatcheck.ManualClock] = None) -> None:
    """Runs the journey on the store file at ``path``. With a ``clock``, the
    kiosk's idle second passes on that clock instead of in real time."""
    with coatcheck.Store(path, token_prefix="cc_", max_sessions_per_user=5, clock=clock) as store:
        print(f"opened {path}: {store.count()} live sessions from earlier runs")

        # 1. An anonymous visitor puts tea in their cart.
        visitor = store.create(
            data={"cart": ["green tea"]},
            ip="203.0.113.7",
            user_agent="Firefox on a laptop",
        )
        laptop = visitor.token or ""
        print(f"\n1. anonymous session {short(visitor.id)} with a cart")

        # 2. They sign in: the cart stays, the token changes (session fixation).
        signed_in = store.login(laptop, "alice")
        old, laptop = laptop, signed_in.token or ""
        print(
            f"2. login as alice keeps the cart {store.get(laptop)['cart']} "
            f"under a new id {short(signed_in.id)}"
        )
        try:
            store.get(old)
            print("   BUG: the old token still works")
        except coatcheck.SessionRevoked as e:
            print(f"   the old token is refused: {e}")

        # 3. A second device.
        phone = store.create(
            user="alice",
            user_agent="Safari on a phone",
            label="Alice's phone",
            remember=True,
        )
        phone_token = phone.token or ""
        print(f'3. a phone signs in with "keep me signed in" until {phone.expires_at:%Y-%m-%d %H:%M} UTC')

        # 4. "Your devices".
        print("4. alice's sessions:")
        for s in store.sessions_of("alice"):
            print(f"   {short(s.id)}  {s.meta.user_agent or '?':<22} last seen {s.last_access:%H:%M:%S}")

        # 5. A flash message is read once.
        store.flash(laptop, "notice", "Your order is on its way")
        first = store.take_flash(laptop)
        second = store.take_flash(laptop)
        print(f"5. flash: first read {first.get('notice')!r}, second read {len(second)} values")

        # 6. Log out the other devices, keep this one.
        ended = store.destroy_user_except("alice", signed_in.id)
        print(f"6. logged out {ended} other device(s) of alice")
        try:
            store.get(phone_token)
            print("   BUG: the phone is still signed in")
        except coatcheck.SessionRevoked as e:
            print(f"   the phone now sees: {e} (reason: {e.reason})")

        # 7. A kiosk session with a one-second idle timeout expires and is swept.
        kiosk = store.create(lifetime=coatcheck.Lifetime(idle=1, absolute=60))
        kiosk_token = kiosk.token or ""
        if clock is None:
            time.sleep(1.1)
        else:
            clock.advance(timedelta(seconds=1.1))
        try:
            store.get(kiosk_token)
            print("7. BUG: the kiosk session outlived its idle timeout")
        except coatcheck.SessionExpired as e:
            print(f"7. after a second idle, the kiosk session: {e}")
        print(f"   sweep removed {store.sweep()} expired session(s)")
        try:
            store.get(kiosk_token)
            print("   BUG: the swept session came back")
        except coatcheck.SessionNotFound as e:
            print(f"   and now: {e}")

        # 8. Stats.
        st = store.stats()
        print(
            f"\n8. stats: {st.sessions} live sessions, {st.users} users, "
            f"{st.file_bytes // 1024} KiB on disk, {st.commits} commits "
            f"({st.durable_commits} durable), {st.sessions_swept} swept, "
            f"cache {st.cache_hits} hits / {st.cache_misses} misses"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "coatcheck-demo.redb")
