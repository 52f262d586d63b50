"""The recording twins: same results as the code as written, on only while recording, user files only."""
import os
import textwrap

import numpy as np

from gradcheck import audit, discover

USER = '''
import numpy as np
import sibling_{tag} as sib

class Base:
    def __init__(self):
        self.w = np.arange(6.0).reshape(2, 3)

class Net(Base):
    scale = 2.0

    def __init__(self):
        super().__init__()
        self.b = np.zeros((2, 1)) * self.scale  # a method with super() and an operation: swapped too

    def forward(self, x):
        z = self.w @ x + self.b
        z += 1
        self.b -= 0.5
        rows = [r * self.scale for r in z]
        total = sum(v.sum() for v in rows)
        f = lambda a: a ** 2 - a // 3 % 2
        return f(z) / 2, total, z == z, np.dot(self.w, x).sum(axis=0, keepdims=True)

    @staticmethod
    def helper(a, b):
        c = a.copy()
        c[0, :] += b
        return np.multiply(c, 2), 1 < 2 < 3

def factory():
    k = np.ones((3, 1))
    def inner(x):
        return sib.twice(x) * k
    return inner
'''
SIBLING = '''
def twice(x):
    return x + x
'''


def _load(tmp_path, tag):
    (tmp_path / f"sibling_{tag}.py").write_text(textwrap.dedent(SIBLING))
    user = tmp_path / f"user_{tag}.py"
    user.write_text(textwrap.dedent(USER.replace("{tag}", tag)))
    return str(user), discover.load_module(str(user))


def _run(mod):
    net = mod.Net()
    x = np.arange(6.0).reshape(3, 2)
    out = net.forward(x)
    h = mod.Net.helper(np.ones((2, 3)), np.arange(3.0))
    inner = mod.factory()
    return out, h, inner(np.ones((3, 1))), net.b.copy()


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    return np.array_equal(np.asarray(a), np.asarray(b))


def test_twins_compute_exactly_what_the_code_as_written_computes(tmp_path):
    path, mod = _load(tmp_path, "a")
    plain = _run(mod)
    rec = audit.Recorder()
    with audit.recording(audit.files_for(path), rec):
        rec.begin("forward")
        twin = _run(mod)
    assert _same(plain, twin)
    lines = {audit.site(e.site).text for e, _ in rec.events()}
    assert {"self.w @ x + self.b", "z += 1", "a ** 2", "z == z", "x + x",  # methods, lambdas, siblings
            "np.zeros((2, 1)) * self.scale"} <= lines  # a method using super()
    assert any("r * self.scale" == t for t in lines)  # inside a comprehension
    assert any(t.startswith("np.dot(") for t in lines) and any(".sum(axis=0" in t for t in lines)


def test_in_place_updates_stay_in_place(tmp_path):
    path, mod = _load(tmp_path, "b")
    net = mod.Net()
    b = net.b
    with audit.recording(audit.files_for(path), audit.Recorder()):
        net.forward(np.ones((3, 2)))
    assert net.b is b and np.all(b == -0.5)


def test_twins_are_off_outside_recording(tmp_path):
    path, mod = _load(tmp_path, "c")
    fn = mod.Net.forward
    inner = mod.factory()
    before = (fn.__code__, inner.__code__)
    with audit.recording(audit.files_for(path), audit.Recorder()):
        assert "__gradcheck_audit__" in fn.__code__.co_names
        assert "__gradcheck_audit__" in inner.__code__.co_names
    assert (fn.__code__, inner.__code__) == before
    assert "__gradcheck_audit__" not in fn.__code__.co_names


def test_only_user_files_are_rewritten_and_nothing_is_written(tmp_path):
    path, mod = _load(tmp_path, "d")
    files = {f.path for f in audit.files_for(path)}
    assert files == {path, str(tmp_path / "sibling_d.py")}
    assert not any("site-packages" in f or "/gradcheck/" in f for f in files)
    assert sorted(os.listdir(tmp_path)) == ["sibling_d.py", "user_d.py"]  # no __pycache__, file unchanged


def test_errors_are_the_users_own_and_recorded(tmp_path):
    path, mod = _load(tmp_path, "e")
    net = mod.Net()
    rec = audit.Recorder()
    with audit.recording(audit.files_for(path), rec):
        rec.begin("forward")
        try:
            net.forward(np.ones((4, 2)))
        except ValueError as e:
            assert "matmul" in str(e)
        else:
            raise AssertionError("expected the user's ValueError")
    assert rec.failure is not None and rec.failure.event.error.startswith("ValueError")
    assert audit.site(rec.failure.event.site).text == "self.w @ x"


def test_a_file_loaded_twice_keeps_both_loads_audited(tmp_path):
    path, first = _load(tmp_path, "f")
    second = discover.load_module(path)
    assert first is not second
    for mod in (first, second):
        rec = audit.Recorder()
        with audit.recording(audit.files_for(path), rec):
            rec.begin("forward")
            mod.Net().forward(np.ones((3, 2)))
        assert any(audit.site(e.site).text == "self.w @ x + self.b" for e, _ in rec.events())
