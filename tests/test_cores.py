"""A core of its own for each grading (gradkit/cores.py): gradings side by side get
different cores, one too many gets none, nothing is changed after, and it can be turned off."""

import os

import pytest

from gradkit import cores

pytestmark = pytest.mark.skipif(len(cores.allowed()) < 2, reason="pinning needs two cores")


@pytest.fixture(autouse=True)
def own_locks(tmp_path, monkeypatch):
    """Locks of this test's own: the kit's gradings running beside it hold theirs."""
    monkeypatch.setattr(cores.tempfile, "gettempdir", lambda: str(tmp_path))


def test_gradings_side_by_side_get_a_core_each_and_one_too_many_gets_none():
    """Other gradings hold every core but one (their locks, as their processes would),
    then every core."""
    before = os.sched_getaffinity(0)
    folder = cores._lock_folder()
    others = [cores._take(folder, core) for core in cores.allowed()[1:]]
    with cores.claimed() as core:
        assert core == cores.allowed()[0] and os.sched_getaffinity(0) == {core}
        assert cores._take(folder, core) is None  # held while the grading runs
    assert os.sched_getaffinity(0) == before
    others.append(cores._take(folder, cores.allowed()[0]))
    with cores.claimed() as core:
        assert core is None and os.sched_getaffinity(0) == before
    for fd in others:
        os.close(fd)


def test_a_claim_is_let_go_when_the_block_ends_even_by_an_error():
    with pytest.raises(RuntimeError), cores.claimed() as core:
        raise RuntimeError
    with cores.claimed() as again:
        assert again == core or again is not None


def test_off_switch_and_a_lock_folder_others_can_write(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADKIT_PIN", "off")
    with cores.claimed() as core:
        assert core is None
    monkeypatch.delenv("GRADKIT_PIN")
    folder = tmp_path / f"gradkit-cores-{os.geteuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    with cores.claimed() as core:
        assert core is None  # not a private folder: no locks of anyone else's are used


def test_the_run_s_processes_follow_the_grader_s_core():
    pid = os.fork()
    if pid == 0:
        cores.follow([cores.allowed()[-1]])
        os._exit(0 if os.sched_getaffinity(0) == {cores.allowed()[-1]} else 1)
    assert os.waitpid(pid, 0)[1] == 0


def test_threads_started_while_pinned_are_unpinned_after():
    import threading
    before = os.sched_getaffinity(0)
    seen, go = {}, threading.Event()

    def thread():
        seen["tid"] = threading.get_native_id()
        go.wait(30)

    with cores.claimed() as core:
        assert core is not None
        worker = threading.Thread(target=thread)
        worker.start()
        while "tid" not in seen:
            pass
        assert os.sched_getaffinity(seen["tid"]) == {core}
    try:
        assert os.sched_getaffinity(seen["tid"]) == before
    finally:
        go.set()
        worker.join()


def test_under_a_cpu_quota_below_the_cores_seen_nothing_is_pinned(monkeypatch, tmp_path):
    quota = tmp_path / "cpu.max"
    quota.write_text("50000 100000\n")  # half a CPU, as Gradescope's containers
    assert cores.usable(str(quota)) == 0
    monkeypatch.setattr(cores, "usable", lambda: 1)
    with cores.claimed() as core:
        assert core is None


@pytest.mark.parametrize("value", ["off", "0", "no", "false", "OFF"])
def test_every_way_of_saying_off(monkeypatch, value):
    monkeypatch.setenv("GRADKIT_PIN", value)
    assert not cores.enabled()
