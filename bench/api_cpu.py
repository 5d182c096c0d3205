"""bench/api.py's CPU accounting: CPU seconds of process groups and of the machine, from /proc.

CPU ms per request barely depends on what else runs on the machine; requests/s does.
"""

import os
import resource
from collections import defaultdict
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, parent pid, CPU seconds so far, all threads) from /proc."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        found[int(entry.name)] = (name, int(rest[1]), (int(rest[11]) + int(rest[12])) / CLOCK_TICKS)
    return found


def cpu_machine() -> tuple[float, float]:
    """(all CPU seconds, busy CPU seconds) since boot, over every CPU."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(values) / CLOCK_TICKS, (sum(values) - values[3] - values[4]) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds used by the server's and nginx's process trees, redis-server and PostgreSQL
    processes, and the whole machine; wrk's come from getrusage (it is a waited-for child)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def snapshot(self) -> dict[str, float | dict[int, float]]:
        procs = cpu_by_process()
        children: dict[int, list[int]] = defaultdict(list)
        for pid, (_, ppid, _) in procs.items():
            children[ppid].append(pid)
        totals: dict[str, float] = {}
        for group, root in self.roots.items():
            stack_, seconds = [root], 0.0
            while stack_:
                pid = stack_.pop()
                seconds += procs[pid][2] if pid in procs else 0.0
                stack_ += children.get(pid, [])
            totals[group] = seconds
        # Per process: a PostgreSQL backend that exits meanwhile (another client's) must not
        # take its whole CPU time out of the sum (cpu_figures).
        totals["redis"] = {p: c for p, (n, _, c) in procs.items() if n.startswith("redis-server")}
        totals["postgres"] = {p: c for p, (n, _, c) in procs.items() if n == "postgres"}
        totals["all"], totals["busy"] = cpu_machine()
        totals["wrk"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        totals["wrk"] += resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
        return totals


def cpu_figures(before: dict, after: dict, requests: int) -> dict:
    """ms of CPU per request for each group, and the machine's busy and others' share (%).
    A group counted per process sums what its processes of `after` used since `before` (all of
    it for one started meantime; one that exited is left out)."""
    delta = {
        k: sum(c - before[k].get(p, 0.0) for p, c in v.items())
        if isinstance(v, dict)
        else v - before[k]
        for k, v in after.items()
    }
    ours = sum(delta[k] for k in ("server", "nginx", "redis", "postgres", "wrk"))
    figures = {
        f"cpu_{k}_ms": delta[k] / max(requests, 1) * 1e3
        for k in ("server", "nginx", "redis", "postgres", "wrk")
    }
    figures["busy_pct"] = 100 * delta["busy"] / delta["all"] if delta["all"] else 0.0
    figures["other_pct"] = (
        100 * max(delta["busy"] - ours, 0.0) / delta["all"] if delta["all"] else 0
    )
    return figures
