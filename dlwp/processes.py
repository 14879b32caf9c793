"""Child processes that are stopped whole: an exercise under the runner, a server in a lesson.

`start(..., session=True)` puts the child in a session of its own (the runner's exercises): a
timeout or a Ctrl-C of the runner stops everything in that session, grandchildren included.
`start(..., session=False)` gives it a process group of its own inside our session (a server a
script starts): a terminal's Ctrl-C reaches only the script, which then `stop`s the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def start(cmd, *, log=None, cwd=None, env=None, session: bool = True) -> subprocess.Popen:
    """Popen `cmd` with stdin closed and stdout+stderr to the open file `log` (or inherited)."""
    kwargs = {"start_new_session": True} if session else {"process_group": 0}
    return subprocess.Popen(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        **kwargs,
    )


def exited(proc: subprocess.Popen, timeout: float = 0.0) -> bool:
    """Has `proc` exited (within `timeout` seconds)? Does not reap it, so its group id stays
    ours and a signal to the group can never reach a process we did not start."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.returncode is not None:
            return True
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def session_members(sid: int) -> list[int]:
    """The processes of session `sid` (Linux /proc; elsewhere none are found)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid:  # after "pid (comm)": state, ppid, pgrp, session
            members.append(int(stat.parent.name))
    return members


def _signal(pid: int, sig, group: bool) -> None:
    try:
        os.killpg(pid, sig) if group else os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop(proc: subprocess.Popen, grace: float = 5.0) -> int:
    """Ctrl-C to the child's group, then SIGTERM, then SIGKILL, `grace` seconds apart; then
    whatever is left of its session (a session leader's grandchildren in groups of their own).
    Returns its exit status. Safe to call twice."""
    session = proc.returncode is None and _is_session_leader(proc.pid)
    if proc.returncode is None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            _signal(proc.pid, sig, group=True)
            if exited(proc, grace):
                break
        _signal(proc.pid, signal.SIGKILL, group=True)  # whatever is left in the group
    if session:
        left = [pid for pid in session_members(proc.pid) if pid != proc.pid]
        for pid in left:
            _signal(pid, signal.SIGKILL, group=False)
        deadline = time.monotonic() + grace  # a killed process takes a moment to be gone
        while any(_running(pid) for pid in left) and time.monotonic() < deadline:
            time.sleep(0.05)
    return proc.wait()


def _running(pid: int) -> bool:
    """Is `pid` a live process (not gone, not a zombie)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _is_session_leader(pid: int) -> bool:
    try:
        return os.getsid(pid) == pid
    except OSError:
        return False


def run(
    cmd, *, timeout: float, log, cwd=None, env=None, grace: float = 5.0, progress=None, every=30
) -> int | None:
    """Run `cmd` in a session of its own; its exit status, or None when it ran past `timeout`
    (then it is stopped whole). A KeyboardInterrupt stops it whole too, then propagates.
    `progress(seconds)` is called every `every` seconds while it runs."""
    proc = start(cmd, log=log, cwd=cwd, env=env, session=True)
    started = time.monotonic()
    try:
        done = False
        while not done:
            left = timeout - (time.monotonic() - started)
            done = exited(proc, max(0.0, min(every, left)) if progress else max(0.0, left))
            if done or time.monotonic() - started >= timeout:
                break
            progress(time.monotonic() - started)
        if done:
            left = [p for p in session_members(proc.pid) if p != proc.pid]
            if not left:
                return proc.wait()
            stop(proc, grace)  # it exited, but left processes of its session running
            return proc.returncode
        stop(proc, grace)
        return None
    except BaseException:
        stop(proc, grace)
        raise
