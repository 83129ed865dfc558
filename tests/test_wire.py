"""The pickle-free encoding: what crosses the boundary, and what is refused."""

import struct

import pytest
import torch

from gradkit.untrusted import wire


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool,
                                   torch.bfloat16, torch.float16])
def test_tensors_round_trip_with_dtype_shape_and_values(dtype):
    for shape in [(), (0,), (3,), (2, 3), (2, 1, 2)]:
        t = (torch.arange(torch.Size(shape).numel()) % 3).reshape(shape).to(dtype)
        back = wire.decode(wire.encode({"v": t}))["v"]
        assert back.dtype == dtype and back.shape == t.shape and torch.equal(back, t)


def test_non_contiguous_tensors_and_graph_facts_travel():
    x = torch.randn(3, 4, requires_grad=True)
    y = (x * 2).T
    back = wire.decode(wire.encode({"v": y}))["v"]
    assert torch.equal(back, y.detach()) and not back.requires_grad
    assert back.gk_meta.requires_grad and back.gk_meta.has_grad_fn and back.gk_meta.device == "cpu"


def test_plain_values_round_trip_preserving_tuple_and_list():
    value = (1, 2.5, float("nan"), float("inf"), True, None, "文字", [1, (2, 3)], {"a": 2**60})
    back = wire.decode(wire.encode({"v": value}))["v"]
    assert type(back) is tuple and type(back[7]) is list and type(back[7][1]) is tuple
    assert back[2] != back[2] and back[3] == float("inf") and back[8]["a"] == 2**60
    assert back[:2] + back[4:7] == value[:2] + value[4:7]


@pytest.mark.parametrize("junk", [object(), {1: 2}, [[[[[[[[[[[1]]]]]]]]]]], list(range(20000)),
                                  torch.randn(2).to_sparse(), "x" * 200_000])
def test_junk_is_refused_with_a_plain_message(junk):
    with pytest.raises(wire.WireError) as err:
        wire.encode({"v": junk})
    assert "the result" in str(err.value)


def test_subclasses_that_lie_about_their_type_are_refused():
    class Sneaky(float):
        def __eq__(self, other):
            return True
    with pytest.raises(wire.WireError):
        wire.encode({"v": Sneaky(1.0)})


def test_malformed_frames_are_refused():
    good = wire.encode({"v": torch.ones(2)})
    (hlen,) = struct.unpack(">I", good[:4])
    for bad in [b"", b"\x00\x00\x00\x05{}", good[:-1], good + b"x",
                struct.pack(">I", hlen) + good[4:4 + hlen].replace(b'"float32"', b'"object"') + good[4 + hlen:],
                struct.pack(">I", 2) + b"[]"]:
        with pytest.raises(wire.WireError):
            wire.decode(bad)


def _odd_views():
    x = torch.tensor([1.5, -2.0])
    hess = torch.autograd.functional.hessian(lambda v: (v ** 3).sum(), x[:1]).diagonal()
    base = torch.arange(24.0).reshape(2, 3, 4)
    return {
        "hessian diagonal, n=1 (size 1, stride 2)": hess,
        "jacobian diagonal": torch.autograd.functional.jacobian(lambda v: v ** 2, x).diagonal(),
        "expanded": torch.ones(1).expand(5),
        "broadcast 2-d": torch.arange(3.0)[:, None].expand(3, 4),
        "transposed": base.transpose(0, 2),
        "stepped": base[:, ::2, 1::3],
        "size-1 dims with odd strides": base[:1, :, :1],
        "negative bit": torch._neg_view(torch.arange(4.0)),
        "requires grad, non-leaf": torch.randn(3, requires_grad=True) * 2,
        "leaf requiring grad": torch.randn(2, 2, requires_grad=True),
        "empty view": base[:, :0],
        "float64 diagonal": torch.eye(3, dtype=torch.float64).diagonal(),
    }


@pytest.mark.parametrize("name", list(_odd_views()))
def test_any_legal_view_crosses_with_its_values(name):
    t = _odd_views()[name]
    back = wire.decode(wire.encode({"v": t}))["v"]
    assert back.shape == t.shape and back.dtype == t.dtype
    assert torch.equal(back, t.detach().resolve_neg().contiguous())


def test_a_huge_expanded_view_is_refused_before_it_is_copied():
    with pytest.raises(wire.WireError) as err:
        wire.encode({"v": torch.ones(1).expand(10 ** 9)})
    assert err.value.key == "wire.too_large"


def test_the_frame_cap_is_a_few_megabytes():
    assert wire.MAX_FRAME_BYTES <= 16 * 1024 * 1024
    wire.encode({"v": torch.zeros(100_000, dtype=torch.float64)})  # 0.8 MB: fine


def test_a_tensor_that_cannot_be_copied_is_a_wire_error(monkeypatch):
    def boom(t):
        raise RuntimeError("cannot copy this one")
    monkeypatch.setattr(wire, "_bytes", boom)
    with pytest.raises(wire.WireError) as err:
        wire.encode({"v": torch.ones(2)})
    assert err.value.key == "wire.unreadable" and "cannot copy" in str(err.value)


def test_large_tensors_are_previewed_not_materialised():
    from gradkit import describe
    shown = describe.tensor(torch.ones(1).expand(10 ** 9))
    assert shown.count("1.0") == describe.MAX_ELEMENTS and "..." in shown
    assert "shape (1000000000,)" in shown


def test_a_hessian_diagonal_answer_gets_full_marks(tmp_path):
    """The stride-2, one-element tensor of hessian(...).diagonal() crosses, and the worker lives on."""
    import json
    import subprocess
    import sys

    from tests.kit import KIT, cli_env, overlay
    folder = overlay(tmp_path / "sub", {"retain_graph": '''
def second_derivative(coeffs, x):
    def p(v):
        return sum(c * v ** k for k, c in enumerate(coeffs)).sum()
    return torch.autograd.functional.hessian(p, x).diagonal()
'''})
    out = tmp_path / "r.json"
    subprocess.run([sys.executable, "-m", "gradkit", "grade", str(folder), "--json", str(out),
                    "--topics", "retain_graph"], check=True, env=cli_env(GRADKIT_EXAMPLES="5"),
                   cwd=KIT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["score"] == result["max_score"], [
        f["function"] for f in result["functions"] if f["score"] < f["max_score"]]


class _Nowhere(torch.nn.Parameter):
    @property
    def device(self):
        return "nowhere"


def test_only_exact_tensors_cross_and_a_parameter_as_its_data():
    with pytest.raises(wire.WireError, match="_Nowhere"):
        wire.encode({"v": _Nowhere(torch.ones(2))})
    back = wire.decode(wire.encode({"v": torch.nn.Parameter(torch.tensor([1.0, 2.0]))}))["v"]
    assert type(back) is torch.Tensor and back.tolist() == [1.0, 2.0]
    assert back.gk_meta.requires_grad and back.gk_meta.device == "cpu"


def test_a_patched_parameter_class_cannot_name_another_device(monkeypatch):
    monkeypatch.setattr(torch.nn.Parameter, "device", property(lambda self: "nowhere"),
                        raising=False)
    back = wire.decode(wire.encode({"v": torch.nn.Parameter(torch.ones(1))}))["v"]
    assert back.gk_meta.device == "cpu"


def _forged(node):
    """A frame as a lying sender would write it: ``node`` as the body's value."""
    import json
    header = json.dumps({"body": {"v": node}, "blobs": [4]}).encode()
    return struct.pack(">I", len(header)) + header + b"\x00\x00\x80\x3f"


@pytest.mark.parametrize("node", [
    {"t": "tensor", "dtype": "float32", "shape": [1], "device": "nowhere", "blob": 0},
    {"t": "tensor", "dtype": "float32", "shape": [1], "device": "cuda:7", "blob": 0},
    {"t": "tensor", "dtype": "float32", "shape": [1], "device": ["cpu"], "blob": 0},
    {"t": "tensor", "dtype": ["float32"], "shape": [1], "device": "cpu", "blob": 0},
    {"t": "int", "v": "9" * 5000},
    {"t": "int", "v": str(2**63)},
    {"t": "int", "v": 12},
    {"t": "float", "v": "1e999999"},
    {"t": "float", "v": "0x1p3"},
    {"t": "dict", "v": {"a": {"t": "tensor"}}},
])
def test_a_forged_reply_is_refused_as_a_wire_error_never_a_grader_crash(node):
    with pytest.raises(wire.WireError):
        wire.decode(_forged(node))


@pytest.mark.parametrize("big", [2**63, -(2**63) - 1, 10**400])
def test_integers_past_int64_are_refused_where_they_are_sent(big):
    with pytest.raises(wire.WireError):
        wire.encode({"v": [1, big]})
    assert wire.decode(wire.encode({"v": 2**63 - 1}))["v"] == 2**63 - 1


class _LyingDict(dict):
    def __eq__(self, other):
        return True


class _LyingStr(str):
    def __eq__(self, other):
        return True

    def __len__(self):
        return 0


class _LyingInt(int):
    def __index__(self):
        return 0


@pytest.mark.parametrize("liar", [_LyingDict(a=1), _LyingStr("x"), _LyingInt(3),
                                  [torch.ones(1), _LyingStr("x")], {"k": _LyingInt(1)}])
def test_builtin_subclasses_that_lie_are_refused_by_name(liar):
    with pytest.raises(wire.WireError, match="_Lying"):
        wire.encode({"v": liar})


def test_a_digest_is_of_dtype_shape_and_values_whatever_the_layout():
    """What the worker says of an input after the call (wire.digest): a view's digest is
    its values' (strides, conjugate and negative bits do not count), and any change of
    value, dtype or shape changes it, a sign of zero included."""
    x = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    assert wire.digest(x.t()) == wire.digest(x.t().contiguous())
    assert wire.digest(x.expand(2, 2, 3)) == wire.digest(x.expand(2, 2, 3).clone())
    assert wire.digest(x.requires_grad_(True) * 1) == wire.digest(x.detach())
    z = torch.tensor([1 + 2j]).conj()
    assert wire.digest(z) == wire.digest(z.resolve_conj())
    base = wire.digest(torch.zeros(3))
    others = [torch.zeros(3, dtype=torch.float64), torch.zeros(1, 3), torch.zeros(4),
              torch.tensor([0.0, -0.0, 0.0]), torch.tensor([0.0, 0.0, 1e-45]),
              torch.zeros(3, dtype=torch.int32)]
    assert len({base, *(wire.digest(t) for t in others)}) == 1 + len(others)
    # torch.zeros(3, int32) and torch.zeros(3) have the same bytes: the dtype tells them apart
    assert wire.digest(torch.zeros(0)) != wire.digest(torch.zeros(0, 1))


def test_a_digest_ignores_what_a_subclass_says_about_itself():
    class Liar(torch.Tensor):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return torch.zeros(3)  # every op "returns" the untouched input

        @property
        def shape(self):
            return torch.Size([3])

    real = torch.tensor([1.0, 2.0, 3.0, 4.0])
    liar = real.as_subclass(Liar)
    assert wire.digest(liar) == wire.digest(real) != wire.digest(torch.zeros(3))


def test_inside_reading_once_a_tensor_is_read_once(monkeypatch):
    """The grader encodes a call's arguments for the shrink budget's key and for the
    request, and hashes them for screen: one read of each tensor per block, never a read
    kept past it (the grader's tensors may change between calls)."""
    reads = []
    real = wire._bytes
    monkeypatch.setattr(wire, "_bytes", lambda t: reads.append(1) or real(t))
    x, y = torch.arange(4.0), torch.ones(2, 2)
    with wire.reading_once():
        first = wire.encode({"args": [x, y, x]})
        with wire.reading_once():  # the request, inside the budget's block
            again = wire.encode({"op": "call", "args": [x, y]})
        digest = wire.digest(x)
    assert len(reads) == 2
    assert wire.decode(first)["args"][2].tolist() == x.tolist()
    assert wire.decode(again)["args"][1].tolist() == y.tolist()
    assert digest == wire.digest(torch.arange(4.0)) and len(reads) == 3
    x.add_(1)  # between blocks: read again
    with wire.reading_once():
        assert wire.decode(wire.encode({"v": x}))["v"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert wire._READ.get() is None
