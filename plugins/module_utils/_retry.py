# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one backoff and bounded-retry helper (Placement 5xx/409, Kubernetes 409 conflicts).

Only what is safe to repeat is retried: the caller says which failures those are.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import time


def backoff_delay(attempt, base, cap, rand=random.random):
    """Seconds to wait before retry number ``attempt`` + 1: exponential from ``base``,
    capped at ``cap``, with jitter (between half and all of it) so that writers who
    collided do not collide again."""
    return min(cap, base * (2 ** attempt)) * (0.5 + rand() / 2)


class Retry(object):
    """Call a step until it succeeds, fails for good, or ``retries`` retries are spent.

    ``retried`` counts the retries made (for the api_calls/conflicts a module reports)."""

    def __init__(self, retries, base=0.5, cap=5.0, sleep=time.sleep, rand=random.random):
        self.retries, self.base, self.cap = retries, base, cap
        self.sleep, self.rand = sleep, rand
        self.retried = 0

    def delay(self, attempt):
        return backoff_delay(attempt, self.base, self.cap, self.rand)

    def wait(self, attempt):
        """Count and sleep before retry number ``attempt`` + 1."""
        self.retried += 1
        self.sleep(self.delay(attempt))

    def call(self, step, retryable, give_up=None):
        """``step()``'s value; an exception for which ``retryable(exc)`` is true is retried,
        and once the retries are spent ``give_up(exc)`` (an exception to raise; default the
        last one) says why."""
        attempt = 0
        while True:
            try:
                return step()
            except Exception as exc:  # filtered by the caller's retryable()
                if not retryable(exc):
                    raise
                if attempt >= self.retries:
                    if give_up is None:
                        raise
                    raise give_up(exc)
                self.wait(attempt)
                attempt += 1
