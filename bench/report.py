"""Figures as the benchmarks print them: percentiles, a summary line, a text table, the load."""

from __future__ import annotations

import os
import statistics


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(values: list[float]) -> str:
    return (f"p50 {statistics.median(values):.1f}, p95 {percentile(values, 0.95):.1f}, "
            f"max {max(values):.1f}")  # fmt: skip


def table(rows: list[tuple], headers: tuple) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [line, " " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)), line]
    out += [" " + " | ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
            for r in rows]  # fmt: skip
    out.append(line)
    return "\n".join(out)


def load_note() -> str:
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    busy = " (other work competes for the CPU: times are longer than on a quiet machine)" if load > cores else ""
    return f"machine load (1 min) {load:.1f} on {cores} cores{busy}"
