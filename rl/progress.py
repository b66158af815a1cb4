"""Progress lines for long work: done/total, rate, time left, printed every few seconds."""

import time

from absl import logging


def format_rate(rate: float) -> str:
    """A rate with enough digits to read: 1234 -> "1234", 0.113 -> "0.11"."""
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.2g}"


class Progress:
    """Logs `label: done/total (pct) rate/s, eta` at most every `every_s` seconds.

    Args:
        label: what is being counted ("collect", "ppo").
        total: the count at which the work is done.
        unit: the name of one counted thing ("steps").
        every_s: seconds between lines; the final line is always printed by `finish`.
    """

    def __init__(self, label, total, unit="steps", every_s=5.0):
        self.label, self.total, self.unit, self.every_s = label, total, unit, every_s
        self.start = time.time()
        self._last_print = self.start
        self.done = 0

    def rate(self) -> float:
        elapsed = time.time() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, extra: str = "") -> str:
        rate = self.rate()
        # Before the first unit is done there is no rate to tell the time left from.
        left = f"{(self.total - self.done) / rate:.0f}s left" if rate > 0 else "time left unknown"
        pct = 100.0 * self.done / self.total if self.total else 100.0
        text = (f"{self.label}: {self.done}/{self.total} {self.unit} ({pct:.0f}%), "
                f"{format_rate(rate)} {self.unit}/s, {left}")
        return f"{text}, {extra}" if extra else text

    def update(self, done: int, extra: str = "") -> None:
        self.done = done
        now = time.time()
        if now - self._last_print >= self.every_s:
            self._last_print = now
            logging.info(self.line(extra))

    def finish(self, extra: str = "") -> None:
        elapsed = time.time() - self.start
        logging.info("%s: %d %s in %.1fs (%s %s/s)%s", self.label, self.done, self.unit,
                     elapsed, format_rate(self.rate()), self.unit, f", {extra}" if extra else "")
        return elapsed
