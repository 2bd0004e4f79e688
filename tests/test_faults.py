"""Faults (issue 11): a full disk, a read-only directory, a writer killed mid-write, two sweeps on one
checkpoint, and runs too large to start. Each ends in one clear error naming the user's path or
option; nothing a user saved is lost; no temporary file is left behind for good.

The disk-full and read-only tests mount a small tmpfs, which needs root (CI runs as root); they
are skipped with that reason otherwise.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import assocrate as aa
from assocrate.cli import main
from assocrate.io import atomic_path, atomic_write_bytes, remove_stale_temporaries
from assocrate.sweeps.capacity import checkpoint_lock

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="mounting a small tmpfs needs root (CI runs as root)")


@contextlib.contextmanager
def tmpfs(folder: Path, *options: str):
    """A 64 kB tmpfs mounted on `folder` (with extra mount `options`), unmounted afterwards."""
    folder.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=64k", *options)), "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(disk: Path) -> None:
    """Fill the disk completely."""
    with contextlib.suppress(OSError), open(disk / "filler", "wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()


def run(capsys, *args):
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.fixture(scope="module")
def network():
    return aa.design(aa.random_patterns(2000, 40, 0.2, seed=0), aa.Sigmoid(4.8, 0.2), -0.3, 0.95, q=0.2, r=0.2)


# --- a full disk --------------------------------------------------------------------------------


@needs_root
def test_disk_full_api_names_the_path_and_keeps_the_old_file(tmp_path, network):
    with tmpfs(tmp_path / "disk") as disk:
        small = aa.design(aa.equal_overlap_patterns(50, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
        saved = aa.save_network(disk / "net.npz", small)
        before = saved.read_bytes()
        fill(disk)
        with pytest.raises(OSError, match=r"cannot write '.*net\.npz': No space left on device") as caught:
            aa.save_network(disk / "net.npz", network)
        assert ".tmp" not in str(caught.value)
        assert saved.read_bytes() == before and leftovers(disk) == []


@needs_root
@pytest.mark.parametrize("command", ["design", "phase", "capacity-out", "capacity-checkpoint"])
def test_disk_full_cli_is_one_line_exit_2(tmp_path, capsys, command):
    with tmpfs(tmp_path / "disk") as disk:
        target = disk / ("net.npz" if command == "design" else "result.nc")
        args = {
            "design": ("design", "--patterns", "random", "--n", 2000, "--p", 40, "--out", target),
            "phase": ("phase", "--rho-range", 0.5, 5, 60, "--threshold-range", 0, 0.9, 60, "--n", 200, "--out", target),
            "capacity-out": ("capacity", "--n", 100, "--loads", "0.02", "--t-max", 1, "--scheduler", "synchronous",
                             "--out", target),
            "capacity-checkpoint": ("capacity", "--n", 100, "--loads", "0.02", "--t-max", 1, "--scheduler",
                                    "synchronous", "--checkpoint", target),
        }[command]
        (disk / "filler").write_bytes(b"\0" * {"design": 60, "phase": 40}.get(command, 56) * 1024)
        code, _, err = run(capsys, *args)
        line = one_error_line(err)
        assert code == 2, err
        assert str(target) in line and "No space left" in line and ".tmp" not in line, line
        assert not target.exists() and leftovers(disk) == []


@needs_root
def test_a_completely_full_disk_says_so(tmp_path, capsys):
    with tmpfs(tmp_path / "disk") as disk:
        fill(disk)
        code, _, err = run(capsys, "design", "--n", 100, "--out", disk / "net.npz")
        line = one_error_line(err)
        assert code == 2 and "No space left" in line and "Permission denied" not in line, line
        assert str(disk / "net.npz") in line


# --- a read-only directory ----------------------------------------------------------------------


@contextlib.contextmanager
def read_only_directory(folder: Path):
    if IS_ROOT:  # root ignores permission bits: a read-only file system
        with tmpfs(folder, "ro") as mounted:
            yield mounted
    else:
        folder.mkdir()
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


def test_read_only_directory_cli_names_the_option_before_any_work(tmp_path, capsys, monkeypatch):
    import assocrate.core.design

    def unreachable(*args, **kwargs):
        raise AssertionError("the design ran before the output path was checked")

    monkeypatch.setattr(assocrate.core.design, "design", unreachable)
    with read_only_directory(tmp_path / "ro") as folder:
        for option in ("--out", "--figure"):
            command = ("design", "--out") if option == "--out" else ("phase", "--figure")
            code, _, err = run(capsys, *command, folder / "x.png")
            line = one_error_line(err)
            assert code == 2 and f"'{option}'" in line and "not writable" in line and str(folder) in line, line


def test_read_only_directory_api_names_the_path(tmp_path):
    with read_only_directory(tmp_path / "ro") as folder:
        with pytest.raises(OSError, match=r"cannot write '.*x\.bin'") as caught:
            atomic_write_bytes(folder / "x.bin", b"data")
        assert ".tmp" not in str(caught.value)


# --- a writer killed mid-write ------------------------------------------------------------------

KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from assocrate.io import atomic_path
    with atomic_path(sys.argv[1]) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(b"partial")
            handle.flush()
        print(temporary, flush=True)
        while True:
            time.sleep(1)
    """
)


@contextlib.contextmanager
def killed_on_exit(code: str, argument: Path):
    """Run `code` in a Python subprocess; yield its pid and first line of output; SIGKILL it on exit."""
    process = subprocess.Popen([sys.executable, "-c", code, str(argument)], stdout=subprocess.PIPE, text=True)
    try:
        yield process.pid, process.stdout.readline().strip()
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def test_sigkill_mid_write_leaves_the_target_whole_and_the_next_write_cleans_up(tmp_path):
    target = tmp_path / "result.bin"
    atomic_write_bytes(target, b"the user's saved data")
    with killed_on_exit(KILLED_WRITER, target) as (pid, line):
        temporary = Path(line)  # the writer is mid-write
        assert temporary.exists() and temporary.parent == tmp_path
        assert str(pid) in temporary.name  # our pattern: .NAME.PID.XXXX.tmp
    assert target.read_bytes() == b"the user's saved data"  # no partial target
    assert leftovers(tmp_path) == [temporary.name]  # the killed writer's orphan, until the next write
    atomic_write_bytes(target, b"new data")
    assert target.read_bytes() == b"new data" and leftovers(tmp_path) == []


def test_a_running_writers_temporary_is_kept(tmp_path):
    target = tmp_path / "result.bin"
    with atomic_path(target) as mine:  # this process is alive: its temporary is not stale
        mine.write_bytes(b"x")
        assert remove_stale_temporaries(target) == []
        assert mine.exists()
    assert leftovers(tmp_path) == []


# --- two sweeps on one checkpoint ---------------------------------------------------------------


def test_a_second_run_on_a_checkpoint_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    capacity_module = sys.modules["assocrate.sweeps.capacity"]

    checkpoint = tmp_path / "sweep.nc"
    args = ("capacity", "--n", 100, "--loads", "0.02", "--t-max", 1, "--scheduler", "synchronous", "--seed", 3,
            "--checkpoint", checkpoint)
    assert run(capsys, *args)[0] == 0  # the first run's progress
    before = checkpoint.read_bytes()

    def unreachable(*arguments, **options):
        raise AssertionError("a cell ran on a locked checkpoint")

    monkeypatch.setattr(capacity_module, "capacity_cell", unreachable)
    with checkpoint_lock(checkpoint):  # another sweep holds the checkpoint
        code, _, err = run(capsys, *args)
    line = one_error_line(err)
    assert code == 2 and "in use by another running sweep" in line and str(checkpoint) in line, line
    assert checkpoint.read_bytes() == before  # its progress is not overwritten
    assert not checkpoint.with_name("sweep.nc.lock").exists()  # released and removed


def test_a_killed_sweep_does_not_leave_its_checkpoint_locked(tmp_path):
    checkpoint = tmp_path / "sweep.nc"
    holder = ("import sys, time\nfrom pathlib import Path\nfrom assocrate.sweeps.capacity import checkpoint_lock\n"
              "with checkpoint_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    time.sleep(600)\n")
    with killed_on_exit(holder, checkpoint) as (_, line):
        assert line == "locked"
        with pytest.raises(aa.InvalidInput, match="in use by another running sweep"):
            with checkpoint_lock(checkpoint):
                pass
    with checkpoint_lock(checkpoint) as lock:  # the kernel released the dead process's lock
        assert lock == tmp_path / "sweep.nc.lock"


# --- runs too large to start --------------------------------------------------------------------


def _forbid(monkeypatch, module, name):
    def unreachable(*args, **kwargs):
        raise AssertionError(f"{name} ran: the oversized run was not refused up front")

    monkeypatch.setattr(module, name, unreachable)


def test_retrieve_t_max_1e12_is_refused_before_it_runs(tmp_path, capsys, monkeypatch):
    retrieve_module = sys.modules["assocrate.retrieval.retrieve"]

    path = aa.save_network(tmp_path / "net.npz", aa.design(aa.equal_overlap_patterns(200, 0.2), aa.Sigmoid(4.8, 0.2),
                                                            -0.3, 0.95))
    _forbid(monkeypatch, retrieve_module, "euler_maruyama")
    code, _, err = run(capsys, "retrieve", path, "--t-max", "1e12")
    line = one_error_line(err)
    assert code == 2 and "100000000000000 steps" in line and "needs about" in line and "--t-max" in line, line


def test_retrieve_at_a_million_units_is_refused_before_it_allocates(monkeypatch):
    retrieve_module = sys.modules["assocrate.retrieval.retrieve"]

    network = aa.design(aa.equal_overlap_patterns(10**6, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    _forbid(monkeypatch, retrieve_module, "euler_maruyama")
    monkeypatch.setattr("assocrate._budget.available_memory", lambda: 8 * 10**9)  # an 8 GB machine
    with pytest.raises(aa.InvalidInput, match=r"needs about .* GB of memory; 8 GB is available. Lower .*trials"):
        aa.make_cues(network, "delete", 0.4, trials=200, seed=0)


def test_capacity_loads_50_is_refused_before_a_cell_runs(capsys, monkeypatch):
    capacity_module = sys.modules["assocrate.sweeps.capacity"]

    _forbid(monkeypatch, capacity_module, "capacity_cell")
    code, _, err = run(capsys, "capacity", "--n", 100, "--loads", "50", "--scheduler", "synchronous")
    line = one_error_line(err)
    assert code == 2 and "P=5000" in line and "loads" in line and ("memory" in line or "would take" in line), line


def test_random_patterns_of_a_trillion_units_is_refused_before_drawing(monkeypatch):
    import assocrate.core.patterns

    _forbid(monkeypatch, assocrate.core.patterns, "as_generator")
    with pytest.raises(aa.InvalidInput, match=r"random_patterns: 1000000000000 units x 5 patterns needs about 25 TB"):
        aa.random_patterns(10**12, 5, 0.2, seed=0)


def test_a_bad_figure_suffix_is_refused_before_the_computation(tmp_path, capsys, monkeypatch):
    import assocrate.sweeps

    _forbid(monkeypatch, assocrate.sweeps, "phase_diagram")
    code, _, err = run(capsys, "phase", "--figure", tmp_path / "phase.docx")
    assert code == 2 and "'--figure'" in one_error_line(err) and ".png" in err


def test_ctrl_c_says_what_the_checkpoint_kept(tmp_path, capsys, monkeypatch):
    capacity_module = sys.modules["assocrate.sweeps.capacity"]

    real = capacity_module.capacity_cell
    calls = []

    def interrupted_after_one(*args, **kwargs):
        if calls:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(capacity_module, "capacity_cell", interrupted_after_one)
    checkpoint = tmp_path / "sweep.nc"
    code, _, err = run(capsys, "capacity", "--n", 100, "--loads", "0.02,0.03", "--t-max", 1, "--scheduler",
                       "synchronous", "--checkpoint", checkpoint)
    assert code == 130 and err.startswith("interrupted: the checkpoint") and "1 finished" in err, err
    assert checkpoint.exists() and not checkpoint.with_name("sweep.nc.lock").exists()
    np.testing.assert_equal(len(calls), 1)


def test_ctrl_c_in_any_other_command_says_nothing_was_written(tmp_path, capsys, monkeypatch):
    retrieve_module = sys.modules["assocrate.retrieval.retrieve"]
    path = aa.save_network(tmp_path / "net.npz", aa.design(aa.equal_overlap_patterns(100, 0.2), aa.Sigmoid(4.8, 0.2),
                                                            -0.3, 0.95))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(retrieve_module, "euler_maruyama", interrupted)
    code, _, err = run(capsys, "retrieve", path, "--figure", tmp_path / "o.png")
    assert code == 130 and err == "interrupted: no output file was written or changed (every file is written whole " \
        "or not at all)\n", err
    assert not (tmp_path / "o.png").exists()
